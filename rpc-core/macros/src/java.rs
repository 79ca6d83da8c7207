//! The string rules that map Rust names to Java ones: method names, JVM parameter
//! descriptors and class names. Pure functions, unit-tested here.

/// The Java method name for a Rust method name: lowerCamelCase.
///
/// `say_hello` becomes `sayHello`, `get_user_by_id` becomes `getUserById`; a raw identifier
/// loses its `r#` (`r#type` becomes `type`). Leading underscores are kept, a name that is
/// already camelCase is left alone, and a trailing underscore (`type_`) is dropped.
pub(crate) fn lower_camel_case(rust_name: &str) -> String {
    let name = rust_name.strip_prefix("r#").unwrap_or(rust_name);
    let body = name.trim_start_matches('_');
    let mut out = String::with_capacity(name.len());
    out.push_str(&name[..name.len() - body.len()]);
    for (i, word) in body.split('_').filter(|w| !w.is_empty()).enumerate() {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            if i == 0 {
                out.push(first);
            } else {
                out.extend(first.to_uppercase());
            }
            out.push_str(chars.as_str());
        }
    }
    out
}

/// Checks that `name` is a Java identifier (letters, digits, `_` and `$`, not starting with
/// a digit).
pub(crate) fn check_identifier(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    match chars.next() {
        None => Err("a Java name cannot be empty".to_owned()),
        Some(c) if !(c.is_alphabetic() || c == '_' || c == '$') => Err(format!(
            "`{name}` is not a Java identifier: it must start with a letter, `_` or `$`"
        )),
        Some(_) => match chars.find(|&c| !(c.is_alphanumeric() || c == '_' || c == '$')) {
            Some(bad) => Err(format!(
                "`{name}` is not a Java identifier: `{bad}` is not allowed"
            )),
            None => Ok(()),
        },
    }
}

/// Parses a concatenation of JVM field descriptors (`Ljava/lang/String;I[B`) and returns how
/// many parameters it declares.
pub(crate) fn count_parameter_types(desc: &str) -> Result<usize, String> {
    let bytes = desc.as_bytes();
    let mut count = 0;
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        while bytes[i] == b'[' {
            i += 1;
            if i == bytes.len() {
                return Err(format!(
                    "`[` at offset {start} is not followed by an element type"
                ));
            }
        }
        match bytes[i] {
            b'B' | b'C' | b'D' | b'F' | b'I' | b'J' | b'S' | b'Z' => i += 1,
            b'L' => {
                let Some(len) = desc[i..].find(';') else {
                    return Err(format!("the class type at offset {i} has no closing `;`"));
                };
                let class = &desc[i + 1..i + len];
                if class.is_empty() {
                    return Err(format!("the class type at offset {i} has no name"));
                }
                if class.contains('.') {
                    return Err(format!(
                        "`L{class};` uses `.`; JVM descriptors separate packages with `/`, \
                         e.g. `Ljava/lang/String;`"
                    ));
                }
                if class.contains('[') {
                    return Err(format!("`L{class};` is not a valid class type"));
                }
                i += len + 1;
            }
            _ => {
                let c = desc[i..].chars().next().unwrap_or('?');
                return Err(format!(
                    "unexpected `{c}` at offset {i}; expected one of B C D F I J S Z, \
                     `L<class>;` or `[`"
                ));
            }
        }
        count += 1;
    }
    Ok(count)
}

/// The JVM descriptor of a Java class name: `org.example.User` becomes
/// `Lorg/example/User;`; `$` (nested classes) is kept.
pub(crate) fn class_descriptor(class: &str) -> Result<String, String> {
    if class.is_empty() {
        return Err("the Java class name is empty".to_owned());
    }
    for part in class.split('.') {
        check_identifier(part).map_err(|_| {
            format!(
                "`{class}` is not a Java class name; expected dot-separated identifiers \
                 like `org.example.User`"
            )
        })?;
    }
    Ok(format!("L{};", class.replace('.', "/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_camel_case_of_snake_case_names() {
        assert_eq!(lower_camel_case("say_hello"), "sayHello");
        assert_eq!(lower_camel_case("get_user_by_id"), "getUserById");
        assert_eq!(lower_camel_case("ping"), "ping");
        assert_eq!(lower_camel_case("get_v2_data"), "getV2Data");
        assert_eq!(lower_camel_case("sha_256"), "sha256");
    }

    #[test]
    fn lower_camel_case_of_unusual_names() {
        assert_eq!(lower_camel_case("r#type"), "type");
        assert_eq!(lower_camel_case("r#async_call"), "asyncCall");
        assert_eq!(lower_camel_case("type_"), "type");
        assert_eq!(lower_camel_case("_hidden_name"), "_hiddenName");
        assert_eq!(lower_camel_case("sayHello"), "sayHello");
        assert_eq!(lower_camel_case("a__b"), "aB");
    }

    #[test]
    fn java_identifiers() {
        assert!(check_identifier("sayHello").is_ok());
        assert!(check_identifier("$echo").is_ok());
        assert!(check_identifier("_x1").is_ok());
        assert!(check_identifier("").is_err());
        assert!(check_identifier("1abc").is_err());
        assert!(check_identifier("say-hello").is_err());
    }

    #[test]
    fn parameter_type_counts() {
        assert_eq!(count_parameter_types(""), Ok(0));
        assert_eq!(count_parameter_types("I"), Ok(1));
        assert_eq!(count_parameter_types("Ljava/lang/String;I"), Ok(2));
        assert_eq!(count_parameter_types("[B[[Ljava/lang/String;JZ"), Ok(4));
        assert_eq!(count_parameter_types("Lorg/example/Outer$Inner;"), Ok(1));
    }

    #[test]
    fn malformed_parameter_types() {
        assert!(count_parameter_types("Ljava/lang/String").is_err());
        assert!(count_parameter_types("Ljava.lang.String;").is_err());
        assert!(count_parameter_types("L;").is_err());
        assert!(count_parameter_types("[").is_err());
        assert!(count_parameter_types("V").is_err());
        assert!(count_parameter_types("int").is_err());
        assert!(count_parameter_types("é").is_err());
    }

    #[test]
    fn class_descriptors() {
        assert_eq!(
            class_descriptor("org.example.User").as_deref(),
            Ok("Lorg/example/User;")
        );
        assert_eq!(
            class_descriptor("org.example.Outer$Inner").as_deref(),
            Ok("Lorg/example/Outer$Inner;")
        );
        assert_eq!(class_descriptor("User").as_deref(), Ok("LUser;"));
        assert!(class_descriptor("").is_err());
        assert!(class_descriptor("org..User").is_err());
        assert!(class_descriptor("org/example/User").is_err());
        assert!(class_descriptor("org.example.User ").is_err());
    }
}
