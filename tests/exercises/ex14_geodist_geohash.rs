//! Exercise 14: `GEODIST key member1 member2 [M|KM|FT|MI]` and `GEOHASH key member [member ...]`.

use crate::common::*;

fn sicily(c: &mut Client) {
    c.assert(
        &[
            "GEOADD",
            "Sicily",
            "13.361389",
            "38.115556",
            "Palermo",
            "15.087269",
            "37.502669",
            "Catania",
        ],
        ":2\r\n",
    );
}

#[test]
fn ex14_distances_in_every_unit() {
    let s = start();
    let mut c = s.client();
    sicily(&mut c);
    fn d(unit: Option<&str>) -> Vec<&str> {
        let mut args = vec!["GEODIST", "Sicily", "Palermo", "Catania"];
        args.extend(unit);
        args
    }
    c.assert(&d(None), &bulk("166274.1516"));
    c.assert(&d(Some("m")), &bulk("166274.1516"));
    c.assert(&d(Some("KM")), &bulk("166.2742"));
    c.assert(&d(Some("mi")), &bulk("103.3182"));
    c.assert(&d(Some("ft")), &bulk("545518.8700"));
    c.assert(
        &["GEODIST", "Sicily", "Palermo", "Palermo"],
        &bulk("0.0000"),
    );
}

#[test]
fn ex14_missing_members_and_keys_are_nil() {
    let s = start();
    let mut c = s.client();
    sicily(&mut c);
    c.assert(&["GEODIST", "Sicily", "Palermo", "nobody"], NIL);
    c.assert(&["GEODIST", "nokey", "a", "b"], NIL);
    c.assert(&["GEOHASH", "nokey", "a"], "*1\r\n$-1\r\n");
}

#[test]
fn ex14_geohash_strings() {
    let s = start();
    let mut c = s.client();
    sicily(&mut c);
    c.assert(
        &["GEOHASH", "Sicily", "Palermo", "Catania", "nobody"],
        &format!(
            "*3\r\n{}{}$-1\r\n",
            bulk("sqc8b49rny0"),
            bulk("sqdtr74hyu0")
        ),
    );
    c.assert(&["GEOHASH", "Sicily"], "*0\r\n");
}

#[test]
fn ex14_errors() {
    let s = start();
    let mut c = s.client();
    sicily(&mut c);
    make_list(&s, "list");
    c.assert(
        &["GEODIST", "Sicily", "Palermo", "Catania", "yd"],
        &err("ERR unsupported unit provided. please use M, KM, FT, MI"),
    );
    c.assert(
        &["GEODIST", "Sicily", "Palermo", "Catania", "km", "x"],
        SYNTAX,
    );
    c.assert(
        &["GEODIST", "Sicily", "Palermo"],
        "-ERR wrong number of arguments for 'geodist' command\r\n",
    );
    c.assert(
        &["GEOHASH"],
        "-ERR wrong number of arguments for 'geohash' command\r\n",
    );
    c.assert(&["GEODIST", "list", "a", "b"], WRONGTYPE);
    c.assert(&["GEOHASH", "list", "a"], WRONGTYPE);
}
