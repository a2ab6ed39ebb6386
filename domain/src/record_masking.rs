//! Which fields of each record are personal data, and how they are masked when shown (个人信息
//! 脱敏): one rule per field of each record kind, applied in place. The BFF's screens apply it
//! to every section unless the session may see the numbers (`vault.read`); the vault will apply
//! the same rules to what it presents.

use crate::mask;
use crate::records::Record;

impl Record {
    /// Masks this record's personal data in place: names, numbers, addresses, plates. Amounts,
    /// months and ratings are left as they are; an untyped record is emptied, since nothing of
    /// it could be known safe.
    pub fn mask_personal_data(&mut self) {
        mask_record(self);
    }
}

fn mask_record(record: &mut Record) {
    fn apply(field: &mut String, rule: fn(&str) -> String) {
        *field = rule(field);
    }
    match record {
        Record::HouseholdRegister(r) => {
            apply(&mut r.household_number, mask::card_number);
            apply(&mut r.address, mask::address);
            apply(&mut r.head_of_household, mask::name);
            for member in &mut r.members {
                apply(&mut member.name, mask::name);
            }
        }
        Record::ResidentIdCard(r) => {
            apply(&mut r.id_number, mask::id_number);
            apply(&mut r.name, mask::name);
            apply(&mut r.address, mask::address);
        }
        Record::SocialSecurityCard(r) => apply(&mut r.card_number, mask::card_number),
        Record::DrivingLicence(r) => apply(&mut r.licence_number, mask::id_number),
        Record::Vehicles(r) => {
            for vehicle in &mut r.vehicles {
                apply(&mut vehicle.plate, mask::card_number);
            }
        }
        Record::EnterpriseRegistration(r) => apply(&mut r.legal_representative, mask::name),
        Record::HealthCard(r) => apply(&mut r.card_number, mask::card_number),
        Record::BirthRecord(r) => {
            for birth in &mut r.births {
                if let Some(n) = birth.certificate_number.as_mut() {
                    *n = mask::card_number(n);
                }
            }
        }
        Record::EducationRecord(r) => apply(&mut r.certificate_number, mask::card_number),
        // Nothing personal: amounts, months, ratings.
        Record::Contributions(_)
        | Record::EnterpriseSocialSecurity(_)
        | Record::EnterpriseCredit(_)
        | Record::EnterpriseTax(_)
        | Record::EnterpriseQualifications(_)
        // Public registration data: USCCs and registered names.
        | Record::EnterpriseRegister(_) => {}
        // Never reaches a screen from the BFF (department answers are typed on arrival); if one
        // did, nothing of it could be known safe.
        Record::Other(value) => *value = serde_json::Value::Null,
        // The vault's answers never reach a screen; a credential is protected by its own
        // selective disclosure, not by masking. Emptied, like an unknown record.
        Record::Vault(_) | Record::IntakeReceipt(_) => {
            *record = Record::Other(serde_json::Value::Null)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(id: &str, data: serde_json::Value) -> Record {
        Record::from_section(id, data).unwrap()
    }

    fn masked(mut record: Record) -> serde_json::Value {
        record.mask_personal_data();
        serde_json::to_value(record).unwrap()
    }

    #[test]
    fn personal_numbers_names_and_addresses_are_masked_and_the_rest_is_kept() {
        let household = json!({"householdNumber": "330302001234", "address": "浙江省温州市鹿城区五马街1号", "headOfHousehold": "张三",
                            "relationToHead": "本人", "policeStation": "五马派出所",
                            "members": [{"name": "张三", "relation": "本人"}, {"name": "李四", "relation": "配偶"}]});
        let shown = masked(record("household_register", household.clone()));
        assert_eq!(shown["householdNumber"], "3303****1234");
        assert_eq!(shown["address"], "浙江省温州市********");
        assert_eq!(shown["members"][1]["name"], "李*");
        assert_eq!(shown["relationToHead"], "本人");
        assert_eq!(shown["policeStation"], household["policeStation"]);
    }

    #[test]
    fn every_kind_masks_its_numbers() {
        let licence = masked(record(
            "driving_licence",
            json!({"licenceNumber": "330302199001011234", "class": "C1", "validUntil": "2030-01-01",
                   "pointsDeducted": 0, "status": "正常"}),
        ));
        assert_eq!(licence["licenceNumber"], "330302********1234");
        let cars = masked(record(
            "vehicles",
            json!({"vehicles": [{"plate": "浙C·12345", "model": "x", "inspectionDue": "2027-01-01"}]}),
        ));
        assert_eq!(cars["vehicles"][0]["plate"], "浙C****45");
        let card = masked(record(
            "health_card",
            json!({"cardNumber": "H330302000123", "status": "正常", "vaccinations": []}),
        ));
        assert_eq!(card["cardNumber"], "H330*****0123");
        assert_eq!(masked(Record::Other(json!({"secret": "x"}))), json!(null));
    }
}
