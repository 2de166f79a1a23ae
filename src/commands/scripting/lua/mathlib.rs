//! The `math` library, with Redis's deterministic `math.random`.
//!
//! Go original: none. Explained in: book chapter "Scripts".
//!
//! Redis seeds the generator the same way before every script, so a script replayed on a
//! replica or from the AOF draws the same numbers. Here: xorshift64*, fixed seed per run.

use super::interp::{Interp, LuaError};
use super::stdlib::{bad_arg, check_num, library, reg, table_ref};
use super::value::{Builtin, Val};

/// Installs `math` into the globals `g` and seeds the generator.
pub fn install(vm: &mut Interp<'_>) {
    let g = &vm.globals.clone();
    let math = table_ref();
    let funcs: [(&'static str, Builtin); 20] = [
        ("abs", |vm, a| math1(vm, a, "abs", f64::abs)),
        ("ceil", |vm, a| math1(vm, a, "ceil", f64::ceil)),
        ("floor", |vm, a| math1(vm, a, "floor", f64::floor)),
        ("sqrt", |vm, a| math1(vm, a, "sqrt", f64::sqrt)),
        ("exp", |vm, a| math1(vm, a, "exp", f64::exp)),
        ("sin", |vm, a| math1(vm, a, "sin", f64::sin)),
        ("cos", |vm, a| math1(vm, a, "cos", f64::cos)),
        ("tan", |vm, a| math1(vm, a, "tan", f64::tan)),
        ("asin", |vm, a| math1(vm, a, "asin", f64::asin)),
        ("acos", |vm, a| math1(vm, a, "acos", f64::acos)),
        ("atan", |vm, a| math1(vm, a, "atan", f64::atan)),
        ("log10", |vm, a| math1(vm, a, "log10", f64::log10)),
        ("log", |vm, a| math1(vm, a, "log", f64::ln)),
        ("fmod", |vm, a| {
            Ok(vec![Val::Num(
                check_num(vm, &a, 0, "fmod")? % check_num(vm, &a, 1, "fmod")?,
            )])
        }),
        ("pow", |vm, a| {
            Ok(vec![Val::Num(
                check_num(vm, &a, 0, "pow")?.powf(check_num(vm, &a, 1, "pow")?),
            )])
        }),
        ("modf", modf),
        ("max", |vm, a| minmax(vm, a, "max", |x, y| x > y)),
        ("min", |vm, a| minmax(vm, a, "min", |x, y| x < y)),
        ("random", random),
        ("randomseed", randomseed),
    ];
    for (name, f) in funcs {
        reg(&math, name, f);
    }
    let _ = math
        .borrow_mut()
        .set(Val::str(b"pi"), Val::Num(std::f64::consts::PI));
    let _ = math
        .borrow_mut()
        .set(Val::str(b"huge"), Val::Num(f64::INFINITY));
    library(g, "math", math);
    vm.rng = 0x2545_F491_4F6C_DD1D;
}

fn math1(
    vm: &mut Interp<'_>,
    args: Vec<Val>,
    name: &str,
    f: fn(f64) -> f64,
) -> Result<Vec<Val>, LuaError> {
    Ok(vec![Val::Num(f(check_num(vm, &args, 0, name)?))])
}

fn modf(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let x = check_num(vm, &args, 0, "modf")?;
    let int = x.trunc();
    let frac = if x.is_infinite() { 0.0 } else { x - int };
    Ok(vec![Val::Num(int), Val::Num(frac)])
}

fn minmax(
    vm: &mut Interp<'_>,
    args: Vec<Val>,
    name: &str,
    better: fn(f64, f64) -> bool,
) -> Result<Vec<Val>, LuaError> {
    let mut best = check_num(vm, &args, 0, name)?;
    for i in 1..args.len() {
        let x = check_num(vm, &args, i, name)?;
        if better(x, best) {
            best = x;
        }
    }
    Ok(vec![Val::Num(best)])
}

/// xorshift64*: tiny, deterministic, good enough for scripts.
fn next_random(vm: &mut Interp<'_>) -> f64 {
    let mut x = vm.rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    vm.rng = x;
    (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
}

fn random(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let r = next_random(vm);
    let v = match args.len() {
        0 => r,
        1 => {
            let m = check_num(vm, &args, 0, "random")?.floor();
            if m < 1.0 {
                return Err(bad_arg(vm, 0, "random", "interval is empty"));
            }
            (r * m).floor() + 1.0
        }
        _ => {
            let lo = check_num(vm, &args, 0, "random")?.floor();
            let hi = check_num(vm, &args, 1, "random")?.floor();
            if lo > hi {
                return Err(bad_arg(vm, 1, "random", "interval is empty"));
            }
            (r * (hi - lo + 1.0)).floor() + lo
        }
    };
    Ok(vec![Val::Num(v)])
}

fn randomseed(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let s = check_num(vm, &args, 0, "randomseed")?;
    // xorshift must not start from zero.
    vm.rng = (s as i64 as u64) ^ 0x9E37_79B9_7F4A_7C15;
    if vm.rng == 0 {
        vm.rng = 1;
    }
    Ok(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::super::tests::ok;
    use crate::protocol::resp::Value;

    #[test]
    fn math() {
        assert_eq!(
            ok("return math.floor(-3.5) + math.ceil(3.2) + math.abs(-2)"),
            Value::Integer(2)
        );
        assert_eq!(
            ok("return math.max(1, 7, 3) * 10 + math.min(4, 2)"),
            Value::Integer(72)
        );
        assert_eq!(
            ok("return select(2, math.modf(3.75)) * 100"),
            Value::Integer(75)
        );
        assert_eq!(ok("return math.fmod(7, 3)"), Value::Integer(1));
        // The same sequence on every run, as Redis guarantees for replication.
        let draw = "local t = {} for i = 1, 5 do t[i] = math.random(100) end return t";
        assert_eq!(ok(draw), ok(draw));
        assert_eq!(
            ok("local x = math.random() return x >= 0 and x < 1"),
            Value::Integer(1)
        );
        assert_eq!(
            ok("local x = math.random(3, 4) return x == 3 or x == 4"),
            Value::Integer(1)
        );
    }
}
