//! `Deserializer::next_ascii_str`: takes a string only in the one form whose bytes are its
//! characters (one short chunk of ASCII), and then ends where reading the string would end;
//! any other value is left for the general reader.

use dubbo_hessian2::{Deserializer, Serializer};
use serde::{Deserialize, Serialize};

fn encoded(value: &impl Serialize) -> Vec<u8> {
    let mut buf = Vec::new();
    value.serialize(&mut Serializer::new(&mut buf)).unwrap();
    buf
}

#[test]
fn short_ascii_strings_are_taken_and_end_where_reading_ends() {
    for s in [
        "",
        "2.0.2",
        "org.apache.dubbo.demo.DemoService",
        &"x".repeat(1023),
    ] {
        let mut input = encoded(&s);
        input.push(b'N');
        let mut fast = Deserializer::new(&input);
        assert_eq!(fast.next_ascii_str(), Some(s), "{s:?}");
        let mut general = Deserializer::new(&input);
        assert_eq!(String::deserialize(&mut general).unwrap(), s);
        assert_eq!(fast.position(), general.position());
    }
}

#[test]
fn other_values_are_left_alone() {
    let long = "y".repeat(1024);
    let inputs = [
        encoded(&"héllo"),
        encoded(&long),
        encoded(&Option::<String>::None),
        encoded(&7i32),
        b"\x05ab".to_vec(), // truncated
        Vec::new(),
    ];
    for input in &inputs {
        let mut de = Deserializer::new(input);
        assert_eq!(de.next_ascii_str(), None, "{input:02x?}");
        assert_eq!(de.position(), 0);
    }
}
