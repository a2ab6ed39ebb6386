//! Which fields of a department record are personal numbers, and how they are masked on a
//! screen. Pure: a table per operation, applied to the record's JSON.

use platform_api::departments::Operation;
use serde_json::Value;
use zhelikit_domain::mask;

/// How one field is masked.
#[derive(Debug, Clone, Copy)]
enum Rule {
    IdNumber,
    Card,
    Name,
    Address,
}

impl Rule {
    fn apply(self, text: &str) -> String {
        match self {
            Self::IdNumber => mask::id_number(text),
            Self::Card => mask::card_number(text),
            Self::Name => mask::name(text),
            Self::Address => mask::address(text),
        }
    }
}

/// Fields to mask per operation: `"field"` at the top level, `"list[].field"` in each element.
fn rules(op: Operation) -> &'static [(&'static str, Rule)] {
    use Rule::*;
    match op {
        Operation::HouseholdRegister => &[
            ("householdNumber", Card),
            ("address", Address),
            ("headOfHousehold", Name),
            ("members[].name", Name),
        ],
        Operation::ResidentIdCard => &[("idNumber", IdNumber), ("address", Address)],
        Operation::SocialSecurityCard => &[("cardNumber", Card)],
        Operation::Contributions
        | Operation::EnterpriseSocialSecurity
        | Operation::EnterpriseCredit => &[],
        Operation::DrivingLicence => &[("licenceNumber", IdNumber)],
        Operation::Vehicles => &[("vehicles[].plate", Card)],
        Operation::EnterpriseRegistration => &[("legalRepresentative", Name)],
        Operation::HealthCard => &[("cardNumber", Card)],
        Operation::EducationRecord => &[("certificateNumber", Card)],
    }
}

/// The record as the screen shows it: personal numbers masked unless `reveal` (the session has
/// the `vault.read` scope, granted to mini-apps whose purpose is showing the user's own
/// certificates).
pub fn for_screen(op: Operation, record: &Value, reveal: bool) -> Value {
    let mut out = record.clone();
    if reveal {
        return out;
    }
    for (path, rule) in rules(op) {
        match path.split_once("[].") {
            Some((list, field)) => {
                if let Some(items) = out.get_mut(list).and_then(Value::as_array_mut) {
                    for item in items {
                        mask_field(item, field, *rule);
                    }
                }
            }
            None => mask_field(&mut out, path, *rule),
        }
    }
    out
}

fn mask_field(object: &mut Value, field: &str, rule: Rule) {
    if let Some(value) = object.get_mut(field) {
        if let Some(text) = value.as_str() {
            *value = Value::String(rule.apply(text));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn personal_numbers_are_masked_unless_the_session_may_see_them() {
        let record = json!({"householdNumber": "330302001234", "address": "浙江省溫州市鹿城區五馬街1號", "headOfHousehold": "張三",
                            "relationToHead": "本人", "members": [{"name": "張三", "relation": "本人"}, {"name": "李四", "relation": "配偶"}]});
        let masked = for_screen(Operation::HouseholdRegister, &record, false);
        assert_eq!(masked["householdNumber"], "3303****1234");
        assert_eq!(masked["address"], "浙江省溫州市********");
        assert_eq!(masked["members"][1]["name"], "李*");
        assert_eq!(masked["relationToHead"], "本人");
        assert_eq!(
            for_screen(Operation::HouseholdRegister, &record, true),
            record
        );
    }

    #[test]
    fn every_operation_masks_its_numbers() {
        let licence = for_screen(
            Operation::DrivingLicence,
            &json!({"licenceNumber": "330302199001011234", "class": "C1"}),
            false,
        );
        assert_eq!(licence["licenceNumber"], "330302********1234");
        let cars = for_screen(
            Operation::Vehicles,
            &json!({"vehicles": [{"plate": "浙C·12345", "model": "x"}]}),
            false,
        );
        assert_eq!(cars["vehicles"][0]["plate"], "浙C****45");
    }
}
