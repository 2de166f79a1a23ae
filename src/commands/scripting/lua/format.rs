//! `string.format`: C's printf conversions, as Lua 5.1 passes them to `sprintf`.
//!
//! Go original: none. Explained in: book chapter "Scripts".

use super::interp::{Interp, LuaError, MAX_STRING};
use super::stdlib::{bad_arg, check_num, check_str, string_result};
use super::value::{Val, fmt_g};

/// One `%...` directive's flags, width and precision.
#[derive(Default, Clone, Copy)]
struct Spec {
    left: bool,
    plus: bool,
    space: bool,
    alt: bool,
    zero: bool,
    width: usize,
    precision: Option<usize>,
}

/// `string.format(fmt, ...)`
pub fn format(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let fmt = check_str(vm, &args, 0, "format")?;
    let mut out = Vec::new();
    let mut next_arg = 1;
    let mut i = 0;
    while i < fmt.len() {
        let c = fmt[i];
        i += 1;
        if c != b'%' {
            out.push(c);
            continue;
        }
        if fmt.get(i) == Some(&b'%') {
            out.push(b'%');
            i += 1;
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&f) = fmt.get(i) {
            match f {
                b'-' => spec.left = true,
                b'+' => spec.plus = true,
                b' ' => spec.space = true,
                b'#' => spec.alt = true,
                b'0' => spec.zero = true,
                _ => break,
            }
            i += 1;
        }
        // Lua allows at most two digits of width and of precision.
        let mut digits = 0;
        while let Some(d) = fmt.get(i).filter(|d| d.is_ascii_digit()) {
            spec.width = spec.width * 10 + usize::from(d - b'0');
            i += 1;
            digits += 1;
        }
        if fmt.get(i) == Some(&b'.') {
            i += 1;
            let mut p = 0;
            while let Some(d) = fmt.get(i).filter(|d| d.is_ascii_digit()) {
                p = p * 10 + usize::from(d - b'0');
                i += 1;
                digits += 1;
            }
            spec.precision = Some(p);
        }
        if digits > 4 || spec.width > 99 || spec.precision.is_some_and(|p| p > 99) {
            return Err(vm.error("invalid format (width or precision too long)"));
        }
        let Some(&conv) = fmt.get(i) else {
            return Err(vm.error("invalid option '%' to 'format'"));
        };
        i += 1;
        let n = next_arg;
        next_arg += 1;
        if n >= args.len() && conv != b'%' {
            return Err(bad_arg(vm, n, "format", "no value"));
        }
        let piece: Vec<u8> = match conv {
            b'd' | b'i' => {
                let x = check_num(vm, &args, n, "format")?;
                let x = if x.is_finite() { x.trunc() } else { 0.0 };
                let digits = format!("{}", x.abs() as i64);
                number(&spec, x < 0.0, pad_precision(digits, spec.precision))
            }
            b'u' => {
                let x = check_num(vm, &args, n, "format")?;
                number(&spec, false, format!("{}", x as i64 as u64))
            }
            b'x' | b'X' | b'o' => {
                let x = check_num(vm, &args, n, "format")? as i64 as u64;
                let body = match conv {
                    b'x' => format!("{x:x}"),
                    b'X' => format!("{x:X}"),
                    _ => format!("{x:o}"),
                };
                let prefix = match (spec.alt && x != 0, conv) {
                    (true, b'x') => "0x",
                    (true, b'X') => "0X",
                    (true, _) => "0",
                    _ => "",
                };
                number(
                    &spec,
                    false,
                    format!("{prefix}{}", pad_precision(body, spec.precision)),
                )
            }
            b'c' => vec![check_num(vm, &args, n, "format")? as i64 as u8],
            b'f' | b'F' | b'e' | b'E' | b'g' | b'G' => {
                let x = check_num(vm, &args, n, "format")?;
                float(&spec, conv, x)
            }
            b's' => {
                let mut s = super::stdlib::tostring_val(vm, &args[n])?;
                if let Some(p) = spec.precision {
                    s.truncate(p);
                }
                s
            }
            b'q' => quote(&check_str(vm, &args, n, "format")?),
            other => {
                let msg = format!("invalid option '%{}' to 'format'", char::from(other));
                return Err(vm.error(&msg));
            }
        };
        let piece = if matches!(
            conv,
            b'd' | b'i' | b'u' | b'x' | b'X' | b'o' | b'f' | b'F' | b'e' | b'E' | b'g' | b'G'
        ) {
            piece
        } else {
            pad(&spec, piece, false)
        };
        out.extend_from_slice(&piece);
        if out.len() > MAX_STRING {
            return Err(vm.error("not enough memory"));
        }
    }
    string_result(vm, out)
}

fn pad_precision(digits: String, precision: Option<usize>) -> String {
    match precision {
        Some(p) if digits.len() < p => format!("{}{}", "0".repeat(p - digits.len()), digits),
        _ => digits,
    }
}

/// Sign, then padding: zeros after the sign, or spaces before or after it all.
fn number(spec: &Spec, negative: bool, body: String) -> Vec<u8> {
    let sign = if negative {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    };
    let zero = spec.zero && !spec.left && spec.precision.is_none();
    let text = format!("{sign}{body}").into_bytes();
    if zero && text.len() < spec.width {
        let mut out = sign.as_bytes().to_vec();
        out.extend(std::iter::repeat_n(b'0', spec.width - text.len()));
        out.extend_from_slice(body.as_bytes());
        return out;
    }
    pad(spec, text, false)
}

fn pad(spec: &Spec, text: Vec<u8>, _: bool) -> Vec<u8> {
    if text.len() >= spec.width {
        return text;
    }
    let fill = std::iter::repeat_n(b' ', spec.width - text.len());
    if spec.left {
        let mut t = text;
        t.extend(fill);
        t
    } else {
        let mut out: Vec<u8> = fill.collect();
        out.extend_from_slice(&text);
        out
    }
}

fn float(spec: &Spec, conv: u8, x: f64) -> Vec<u8> {
    let p = spec.precision.unwrap_or(6);
    let body = if !x.is_finite() {
        if x.is_nan() {
            "nan".to_string()
        } else {
            "inf".to_string()
        }
    } else {
        match conv.to_ascii_lowercase() {
            b'f' => format!("{:.*}", p, x.abs()),
            b'e' => exp_form(x.abs(), p),
            _ => fmt_g(x.abs(), if p == 0 { 1 } else { p }, spec.alt),
        }
    };
    let body = if conv.is_ascii_uppercase() {
        body.to_uppercase()
    } else {
        body
    };
    let mut s = *spec;
    if !x.is_finite() {
        s.zero = false;
    }
    s.precision = None;
    number(&s, x.is_sign_negative() && !x.is_nan(), body)
}

/// C's `%.<p>e`: one digit, the fraction, and an exponent of at least two digits.
fn exp_form(x: f64, p: usize) -> String {
    let e = format!("{:.*e}", p, x);
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    format!(
        "{}e{}{:02}",
        mant,
        if exp < 0 { '-' } else { '+' },
        exp.abs()
    )
}

/// `%q`: a Lua string literal that reads back as the same bytes.
fn quote(s: &[u8]) -> Vec<u8> {
    let mut out = vec![b'"'];
    for &c in s {
        match c {
            b'"' | b'\\' => out.extend_from_slice(&[b'\\', c]),
            b'\n' => out.extend_from_slice(b"\\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0 => out.extend_from_slice(b"\\000"),
            _ => out.push(c),
        }
    }
    out.push(b'"');
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::{err, ok};
    use crate::protocol::resp::Value;

    fn bulk(s: &str) -> Value {
        Value::Bulk(s.as_bytes().to_vec())
    }

    #[test]
    fn conversions() {
        assert_eq!(
            ok("return string.format('%d|%5d|%-5d|%05d', 3.7, 42, 42, -42)"),
            bulk("3|   42|42   |-0042")
        );
        assert_eq!(
            ok("return string.format('%s=%q', 'k', 'a\"b')"),
            bulk("k=\"a\\\"b\"")
        );
        assert_eq!(
            ok("return string.format('%.2f %e %g %g', 3.14159, 12345.678, 0.0001, 1e20)"),
            bulk("3.14 1.234568e+04 0.0001 1e+20")
        );
        assert_eq!(
            ok("return string.format('%x %X %#x %c%%', 255, 255, 255, 65)"),
            bulk("ff FF 0xff A%")
        );
        assert_eq!(ok("return string.format('%5.1s|', 'abc')"), bulk("    a|"));
        assert_eq!(ok("return string.format('%s %s', 1, true)"), bulk("1 true"));
        assert_eq!(
            err("return string.format('%d')"),
            "user_script:1: bad argument #2 to 'format' (no value)"
        );
        assert_eq!(
            err("return string.format('%y', 1)"),
            "user_script:1: invalid option '%y' to 'format'"
        );
    }
}
