//! The government records a section of a screen carries — 户籍, 居民身份证, 社保卡, 缴费记录,
//! 驾驶证, 行驶证, 营业执照, 信用, 健康卡, 学历 — as the departments publish them through the IRS
//! gateway and as ZheliKit hands them to mini-apps (personal numbers masked unless the mini-app
//! may see them). JSON field names are camelCase, as the departments write them.
//!
//! A screen section names its record by the operation that fetched it (`household_register`,
//! `driving_licence` …); [`Record::from_section`] turns such a pair into the typed record.

use serde::{Deserialize, Serialize};

/// One record, typed by the operation that fetched it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Record {
    /// `household_register`.
    HouseholdRegister(HouseholdRegister),
    /// `resident_id_card`.
    ResidentIdCard(ResidentIdCard),
    /// `social_security_card`.
    SocialSecurityCard(SocialSecurityCard),
    /// `contributions`.
    Contributions(Contributions),
    /// `enterprise_social_security`.
    EnterpriseSocialSecurity(EnterpriseSocialSecurity),
    /// `driving_licence`.
    DrivingLicence(DrivingLicence),
    /// `vehicles`.
    Vehicles(Vehicles),
    /// `enterprise_registration`.
    EnterpriseRegistration(EnterpriseRegistration),
    /// `enterprise_credit`.
    EnterpriseCredit(EnterpriseCredit),
    /// `health_card`.
    HealthCard(HealthCard),
    /// `birth_record`.
    BirthRecord(BirthRecord),
    /// `education_record`.
    EducationRecord(EducationRecord),
    /// `enterprise_tax`.
    EnterpriseTax(EnterpriseTax),
    /// `enterprise_qualifications`.
    EnterpriseQualifications(EnterpriseQualifications),
    /// `enterprise_register`: a page of the register, never part of a screen.
    EnterpriseRegister(EnterpriseRegister),
    /// What a department answers the vault: a certificate, its keys, its status list. Never
    /// part of a screen.
    Vault(crate::vault::VaultRecord),
    /// A department's receipt of its part of an application (一件事). Never part of a screen.
    IntakeReceipt(crate::forms::submission::IntakeReceipt),
    /// A record this version cannot type — a kind added by a newer server, or one whose shape
    /// changed — kept as the JSON it came as, so the rest of the screen still shows.
    Other(serde_json::Value),
}

/// Why a section's record could not be typed.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The section id names no record this version knows (a newer server): show it generically.
    #[error("unknown record kind `{0}`")]
    UnknownKind(String),
    /// The record does not have the fields its kind requires.
    #[error("`{kind}` record does not match its schema: {reason}")]
    Schema {
        /// The section id.
        kind: String,
        /// What serde found wrong (a field name, a type), never the value.
        reason: String,
    },
}

/// serde's message without the offending value (`invalid type: string "330302…", expected u8`
/// names a personal number): what was expected, or which field is missing, is enough.
fn without_values(message: &str) -> String {
    match message.split_once(", expected ") {
        Some((_, expected)) => format!("a field has the wrong type (expected {expected})"),
        None if message.starts_with("missing field") || message.starts_with("unknown field") => {
            message.to_string()
        }
        None => "the record is not an object of the expected shape".to_string(),
    }
}

impl Record {
    /// The typed record of the section `id` (an operation name such as `driving_licence`), read
    /// from any serde deserializer: a `serde_json::Value`, or a department's answer in place.
    pub fn from_section<'de, D>(id: &str, data: D) -> Result<Self, RecordError>
    where
        D: serde::Deserializer<'de>,
        D::Error: std::fmt::Display,
    {
        fn typed<'de, T: Deserialize<'de>, D>(id: &str, data: D) -> Result<T, RecordError>
        where
            D: serde::Deserializer<'de>,
            D::Error: std::fmt::Display,
        {
            T::deserialize(data).map_err(|e| RecordError::Schema {
                kind: id.to_string(),
                reason: without_values(&e.to_string()),
            })
        }
        Ok(match id {
            "household_register" => Self::HouseholdRegister(typed(id, data)?),
            "resident_id_card" => Self::ResidentIdCard(typed(id, data)?),
            "social_security_card" => Self::SocialSecurityCard(typed(id, data)?),
            "contributions" => Self::Contributions(typed(id, data)?),
            "enterprise_social_security" => Self::EnterpriseSocialSecurity(typed(id, data)?),
            "driving_licence" => Self::DrivingLicence(typed(id, data)?),
            "vehicles" => Self::Vehicles(typed(id, data)?),
            "enterprise_registration" => Self::EnterpriseRegistration(typed(id, data)?),
            "enterprise_credit" => Self::EnterpriseCredit(typed(id, data)?),
            "health_card" => Self::HealthCard(typed(id, data)?),
            "birth_record" => Self::BirthRecord(typed(id, data)?),
            "education_record" => Self::EducationRecord(typed(id, data)?),
            "enterprise_tax" => Self::EnterpriseTax(typed(id, data)?),
            "enterprise_qualifications" => Self::EnterpriseQualifications(typed(id, data)?),
            "enterprise_register" => Self::EnterpriseRegister(typed(id, data)?),
            other if other.starts_with("certificate_") => {
                Self::Vault(crate::vault::VaultRecord::Certificate(typed(id, data)?))
            }
            other if other.starts_with("issuer_keys_") => {
                Self::Vault(crate::vault::VaultRecord::IssuerKeys(typed(id, data)?))
            }
            other if other.starts_with("status_list_") => {
                Self::Vault(crate::vault::VaultRecord::StatusList(typed(id, data)?))
            }
            other if other.starts_with("correction_") => Self::Vault(
                crate::vault::VaultRecord::CorrectionReceipt(typed(id, data)?),
            ),
            other if other.starts_with("intake_") => Self::IntakeReceipt(typed(id, data)?),
            other => return Err(RecordError::UnknownKind(other.to_string())),
        })
    }
}

/// 户籍: a household register entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HouseholdRegister {
    /// 户号.
    pub household_number: String,
    /// Head of the household's name.
    pub head_of_household: String,
    /// The person's relation to the head (本人, 配偶, 子 …).
    pub relation_to_head: String,
    /// Registered address.
    pub address: String,
    /// Police station that keeps the register.
    pub police_station: String,
    /// Members: name and relation.
    pub members: Vec<HouseholdMember>,
}

/// A member of a household.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HouseholdMember {
    /// Name.
    pub name: String,
    /// Relation to the head.
    pub relation: String,
}

/// 居民身份证.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResidentIdCard {
    /// ID number.
    pub id_number: String,
    /// Name.
    pub name: String,
    /// 男 / 女.
    pub sex: String,
    /// Ethnicity.
    pub nation: String,
    /// YYYY-MM-DD.
    pub birth_date: String,
    /// Address on the card.
    pub address: String,
    /// Issuing authority.
    pub issued_by: String,
    /// YYYY-MM-DD.
    pub valid_from: String,
    /// YYYY-MM-DD, or 长期.
    pub valid_until: String,
}

/// 社保卡.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SocialSecurityCard {
    /// Card number.
    pub card_number: String,
    /// Issuing bank.
    pub bank: String,
    /// 正常, 挂失 …
    pub status: String,
    /// YYYY-MM-DD.
    pub issued_at: String,
}

/// 缴费记录: social-security contributions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contributions {
    /// Months contributed in total.
    pub months_paid: u32,
    /// YYYY-MM of the last contribution.
    pub last_paid_month: String,
    /// The latest months, newest first.
    pub recent: Vec<ContributionMonth>,
}

/// One month of contributions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContributionMonth {
    /// YYYY-MM.
    pub month: String,
    /// Pension (养老) contribution, in fen.
    pub pension_fen: u64,
    /// Medical (医疗) contribution, in fen.
    pub medical_fen: u64,
    /// Employer's registered name.
    pub employer: String,
}

/// An enterprise's social-security summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnterpriseSocialSecurity {
    /// Employees insured now.
    pub insured_employees: u32,
    /// YYYY-MM of the last payment.
    pub last_paid_month: String,
    /// Arrears, in fen.
    pub arrears_fen: u64,
}

/// 驾驶证.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DrivingLicence {
    /// Licence number (the ID number in China).
    pub licence_number: String,
    /// Vehicle classes, e.g. C1.
    pub class: String,
    /// YYYY-MM-DD.
    pub valid_until: String,
    /// Points deducted in the current cycle (of 12).
    pub points_deducted: u8,
    /// 正常, 暂扣 …
    pub status: String,
}

/// Vehicles registered to a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Vehicles {
    /// The vehicles.
    pub vehicles: Vec<Vehicle>,
}

/// 行驶证: one vehicle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Vehicle {
    /// Plate, e.g. 浙C·12345.
    pub plate: String,
    /// Make and model.
    pub model: String,
    /// YYYY-MM-DD of the next inspection.
    pub inspection_due: String,
}

/// 营业执照: enterprise registration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnterpriseRegistration {
    /// Registered name.
    pub name: String,
    /// USCC.
    pub uscc: String,
    /// Legal representative.
    pub legal_representative: String,
    /// Registered capital, in 10k yuan.
    pub registered_capital_wan: u64,
    /// YYYY-MM-DD.
    pub established_at: String,
    /// Registered address.
    pub address: String,
    /// Business scope.
    pub business_scope: String,
    /// 存续, 注销 …
    pub status: String,
    /// 国民经济行业分类 (GB/T 4754-2017) class of the main business, e.g. `C3823`.
    pub industry_code: String,
    /// GB/T 2260 county of the registered address, e.g. `330302`.
    pub region_code: String,
}

/// 税务: an enterprise's tax credit rating and last year's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnterpriseTax {
    /// 纳税信用等级 of the last rated year: A, B, M, C or D.
    pub credit_rating: String,
    /// The year the rating and figures are for.
    pub year: u16,
    /// 营业收入 of that year, in 万元.
    pub revenue_wan: u64,
    /// 资产总额 at that year's end, in 万元.
    pub assets_wan: u64,
    /// The bank of the enterprise's settlement account registered for tax (三方协议账户).
    #[serde(default)]
    pub settlement_bank: String,
    /// That account's number.
    #[serde(default)]
    pub settlement_account: String,
}

/// 市场监管: a page of the register of enterprises (登记名录).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnterpriseRegister {
    /// The enterprises, in USCC order.
    pub entries: Vec<RegisterEntry>,
    /// The USCC to ask after for the next page; none on the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_after: Option<String>,
}

/// One enterprise in the register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterEntry {
    /// USCC.
    pub uscc: String,
    /// Registered name.
    pub name: String,
    /// YYYY-MM-DD its records (here or at the other departments) last changed.
    pub updated_on: String,
}

/// 经信: the qualifications an enterprise holds now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnterpriseQualifications {
    /// The qualifications, each with its certificate.
    pub qualifications: Vec<EnterpriseQualification>,
}

/// One qualification an enterprise holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnterpriseQualification {
    /// Its name as granted: 高新技术企业, 科技型中小企业, 创新型中小企业, 专精特新中小企业,
    /// 专精特新“小巨人”企业.
    pub name: String,
    /// Certificate or list number.
    pub number: String,
    /// The granting authority.
    pub granted_by: String,
    /// YYYY-MM-DD.
    pub granted_on: String,
    /// YYYY-MM-DD.
    pub valid_until: String,
}

/// Enterprise credit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnterpriseCredit {
    /// A, B, C, D.
    pub rating: String,
    /// Listed in abnormal operations (经营异常名录).
    pub abnormal_operations: bool,
    /// Administrative penalties in the last three years.
    pub penalties: u32,
}

/// 健康卡.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthCard {
    /// Card number.
    pub card_number: String,
    /// 正常 …
    pub status: String,
    /// Vaccinations: name and date.
    pub vaccinations: Vec<Vaccination>,
}

/// 卫健: the births registered by the hospitals for a parent (what the 出生医学证明 is made
/// from), newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BirthRecord {
    /// The births.
    pub births: Vec<Birth>,
}

/// One birth as the hospital registered it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Birth {
    /// The child's sex, GB/T 2261.1: `1` male, `2` female.
    pub sex: String,
    /// YYYY-MM-DD.
    pub birth_date: String,
    /// HH:MM.
    pub birth_time: String,
    /// Weight at birth, grams.
    pub weight_grams: u32,
    /// The hospital (接生机构).
    pub hospital: String,
    /// GB/T 2260 county of the hospital.
    pub county_code: String,
    /// The 出生医学证明's number, once issued.
    #[serde(default)]
    pub certificate_number: Option<String>,
}

/// One vaccination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Vaccination {
    /// Vaccine.
    pub vaccine: String,
    /// YYYY-MM-DD.
    pub date: String,
}

/// 学历: education record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EducationRecord {
    /// 本科, 硕士 …
    pub highest_degree: String,
    /// School.
    pub school: String,
    /// YYYY-MM.
    pub graduated_at: String,
    /// Certificate number.
    pub certificate_number: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_becomes_its_typed_record_and_serialises_back_unchanged() {
        let json = serde_json::json!({
            "licenceNumber": "330302********1234",
            "class": "C1",
            "validUntil": "2031-04-15",
            "pointsDeducted": 3,
            "status": "正常"
        });
        let record = Record::from_section("driving_licence", json.clone()).unwrap();
        let Record::DrivingLicence(licence) = &record else {
            panic!("{record:?}");
        };
        assert_eq!(licence.points_deducted, 3);
        assert_eq!(serde_json::to_value(&record).unwrap(), json);
    }

    #[test]
    fn unknown_kinds_and_schema_mismatches_are_told_apart() {
        assert!(matches!(
            Record::from_section("pet_licence", serde_json::json!({})),
            Err(RecordError::UnknownKind(kind)) if kind == "pet_licence"
        ));
        let err =
            Record::from_section("health_card", serde_json::json!({"cardNumber": 7})).unwrap_err();
        assert!(matches!(&err, RecordError::Schema { kind, .. } if kind == "health_card"));
        assert!(!err.to_string().contains('7'), "no values in errors: {err}");
    }
}
