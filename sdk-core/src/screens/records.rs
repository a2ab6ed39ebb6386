//! The government records a home-screen section carries, typed for the app: 户籍, 居民身份证,
//! 社保卡, 缴费记录, 驾驶证, 行驶证, 营业执照, 信用, 健康卡, 学历. Personal numbers in them are
//! masked (`3303****1234`) unless the mini-app has the `vault.read` scope.
//!
//! The records are defined once, in `zhelikit_domain::records` (the BFF checks every department
//! answer against them); the declarations below mirror them for the bindings, and the compiler
//! checks that each mirror matches its definition field for field.

pub use zhelikit_domain::records::{
    ContributionMonth, Contributions, DrivingLicence, EducationRecord, EnterpriseCredit,
    EnterpriseQualification, EnterpriseQualifications, EnterpriseRegistration,
    EnterpriseSocialSecurity, EnterpriseTax, HealthCard, HouseholdMember, HouseholdRegister,
    ResidentIdCard, SocialSecurityCard, Vaccination, Vehicle, Vehicles,
};

/// A section's record, typed by what it is.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum SectionRecord {
    /// 户籍 (`household_register`).
    HouseholdRegister {
        /// The record.
        record: HouseholdRegister,
    },
    /// 居民身份证 (`resident_id_card`).
    ResidentIdCard {
        /// The record.
        record: ResidentIdCard,
    },
    /// 社保卡 (`social_security_card`).
    SocialSecurityCard {
        /// The record.
        record: SocialSecurityCard,
    },
    /// 缴费记录 (`contributions`).
    Contributions {
        /// The record.
        record: Contributions,
    },
    /// An enterprise's social security (`enterprise_social_security`).
    EnterpriseSocialSecurity {
        /// The record.
        record: EnterpriseSocialSecurity,
    },
    /// 驾驶证 (`driving_licence`).
    DrivingLicence {
        /// The record.
        record: DrivingLicence,
    },
    /// 行驶证 (`vehicles`).
    Vehicles {
        /// The record.
        record: Vehicles,
    },
    /// 营业执照 (`enterprise_registration`).
    EnterpriseRegistration {
        /// The record.
        record: EnterpriseRegistration,
    },
    /// Enterprise credit (`enterprise_credit`).
    EnterpriseCredit {
        /// The record.
        record: EnterpriseCredit,
    },
    /// 健康卡 (`health_card`).
    HealthCard {
        /// The record.
        record: HealthCard,
    },
    /// 学历 (`education_record`).
    EducationRecord {
        /// The record.
        record: EducationRecord,
    },
    /// 纳税信用与年度数据 (`enterprise_tax`).
    EnterpriseTax {
        /// The record.
        record: EnterpriseTax,
    },
    /// 企业资质 (`enterprise_qualifications`).
    EnterpriseQualifications {
        /// The record.
        record: EnterpriseQualifications,
    },
    /// A record this SDK version does not know (added by a newer ZheliKit server), as JSON:
    /// update the SDK to get it typed.
    Other {
        /// The record as JSON.
        json: String,
    },
}

impl From<zhelikit_domain::records::Record> for SectionRecord {
    fn from(record: zhelikit_domain::records::Record) -> Self {
        use zhelikit_domain::records::Record as R;
        match record {
            R::HouseholdRegister(record) => Self::HouseholdRegister { record },
            R::ResidentIdCard(record) => Self::ResidentIdCard { record },
            R::SocialSecurityCard(record) => Self::SocialSecurityCard { record },
            R::Contributions(record) => Self::Contributions { record },
            R::EnterpriseSocialSecurity(record) => Self::EnterpriseSocialSecurity { record },
            R::DrivingLicence(record) => Self::DrivingLicence { record },
            R::Vehicles(record) => Self::Vehicles { record },
            R::EnterpriseRegistration(record) => Self::EnterpriseRegistration { record },
            R::EnterpriseCredit(record) => Self::EnterpriseCredit { record },
            R::HealthCard(record) => Self::HealthCard { record },
            R::EducationRecord(record) => Self::EducationRecord { record },
            R::EnterpriseTax(record) => Self::EnterpriseTax { record },
            R::EnterpriseQualifications(record) => Self::EnterpriseQualifications { record },
            R::Other(json) => Self::Other {
                json: json.to_string(),
            },
            // Never on a screen; shown, like an unknown record, as nothing personal.
            R::Vault(_) | R::EnterpriseRegister(_) | R::IntakeReceipt(_) | R::BirthRecord(_) => {
                Self::Other {
                    json: "null".into(),
                }
            }
        }
    }
}

/// 户籍: a household register entry.
#[uniffi::remote(Record)]
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
#[uniffi::remote(Record)]
pub struct HouseholdMember {
    /// Name.
    pub name: String,
    /// Relation to the head.
    pub relation: String,
}

/// 居民身份证.
#[uniffi::remote(Record)]
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
#[uniffi::remote(Record)]
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
#[uniffi::remote(Record)]
pub struct Contributions {
    /// Months contributed in total.
    pub months_paid: u32,
    /// YYYY-MM of the last contribution.
    pub last_paid_month: String,
    /// The latest months, newest first.
    pub recent: Vec<ContributionMonth>,
}

/// One month of contributions.
#[uniffi::remote(Record)]
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
#[uniffi::remote(Record)]
pub struct EnterpriseSocialSecurity {
    /// Employees insured now.
    pub insured_employees: u32,
    /// YYYY-MM of the last payment.
    pub last_paid_month: String,
    /// Arrears, in fen.
    pub arrears_fen: u64,
}

/// 驾驶证.
#[uniffi::remote(Record)]
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
#[uniffi::remote(Record)]
pub struct Vehicles {
    /// The vehicles.
    pub vehicles: Vec<Vehicle>,
}

/// 行驶证: one vehicle.
#[uniffi::remote(Record)]
pub struct Vehicle {
    /// Plate, e.g. 浙C·12345.
    pub plate: String,
    /// Make and model.
    pub model: String,
    /// YYYY-MM-DD of the next inspection.
    pub inspection_due: String,
}

/// 营业执照: enterprise registration.
#[uniffi::remote(Record)]
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
#[uniffi::remote(Record)]
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
    pub settlement_bank: String,
    /// That account's number.
    pub settlement_account: String,
}

/// 经信: the qualifications an enterprise holds now.
#[uniffi::remote(Record)]
pub struct EnterpriseQualifications {
    /// The qualifications, each with its certificate.
    pub qualifications: Vec<EnterpriseQualification>,
}

/// One qualification an enterprise holds.
#[uniffi::remote(Record)]
pub struct EnterpriseQualification {
    /// Its name as granted (高新技术企业, 专精特新中小企业 …).
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
#[uniffi::remote(Record)]
pub struct EnterpriseCredit {
    /// A, B, C, D.
    pub rating: String,
    /// Listed in abnormal operations (经营异常名录).
    pub abnormal_operations: bool,
    /// Administrative penalties in the last three years.
    pub penalties: u32,
}

/// 健康卡.
#[uniffi::remote(Record)]
pub struct HealthCard {
    /// Card number.
    pub card_number: String,
    /// 正常 …
    pub status: String,
    /// Vaccinations: name and date.
    pub vaccinations: Vec<Vaccination>,
}

/// One vaccination.
#[uniffi::remote(Record)]
pub struct Vaccination {
    /// Vaccine.
    pub vaccine: String,
    /// YYYY-MM-DD.
    pub date: String,
}

/// 学历: education record.
#[uniffi::remote(Record)]
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
