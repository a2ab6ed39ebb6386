//! Wenzhou (温州) county-level administrative division codes (GB/T 2260), the first six digits of a
//! resident ID number issued there and characters 3–8 of a local enterprise's USCC.

/// A county-level division of Wenzhou: its six-digit code and its Chinese name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Division {
    /// Six-digit GB/T 2260 code, e.g. `"330302"`.
    pub code: &'static str,
    /// Chinese name, e.g. `"鹿城区"`.
    pub name: &'static str,
}

/// Every county-level division of Wenzhou, in code order.
pub const WENZHOU_DIVISIONS: &[Division] = &[
    Division {
        code: "330302",
        name: "鹿城区",
    },
    Division {
        code: "330303",
        name: "龙湾区",
    },
    Division {
        code: "330304",
        name: "瓯海区",
    },
    Division {
        code: "330305",
        name: "洞头区",
    },
    Division {
        code: "330324",
        name: "永嘉县",
    },
    Division {
        code: "330326",
        name: "平阳县",
    },
    Division {
        code: "330327",
        name: "苍南县",
    },
    Division {
        code: "330328",
        name: "文成县",
    },
    Division {
        code: "330329",
        name: "泰顺县",
    },
    Division {
        code: "330381",
        name: "瑞安市",
    },
    Division {
        code: "330382",
        name: "乐清市",
    },
    Division {
        code: "330383",
        name: "龙港市",
    },
];

/// The Wenzhou division with this code, if it is one.
pub fn wenzhou_division(code: &str) -> Option<&'static Division> {
    WENZHOU_DIVISIONS.iter().find(|d| d.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wenzhou_code_starts_with_3303_and_is_unique() {
        for (i, d) in WENZHOU_DIVISIONS.iter().enumerate() {
            assert!(d.code.starts_with("3303"), "{}", d.code);
            assert_eq!(d.code.len(), 6);
            assert!(WENZHOU_DIVISIONS[i + 1..].iter().all(|o| o.code != d.code));
        }
        assert_eq!(wenzhou_division("330381").map(|d| d.name), Some("瑞安市"));
        assert_eq!(wenzhou_division("110101"), None);
    }
}
