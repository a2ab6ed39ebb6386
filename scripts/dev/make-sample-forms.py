# Writes the sample forms of bff-server/forms as a department would author them: XLSForm
# spreadsheets. Run `python3 scripts/dev/make-sample-forms.py bff-server/forms` (needs openpyxl)
# after changing one, and give a changed form a new version: a published version never changes.
import openpyxl, sys
COLS = ["type","name","label","required","relevant","constraint","constraint_message","calculate","default","choice_filter","repeat_min","repeat_max","department","prefill","read_only"]
def book(path, settings, survey, choices, departments):
    wb = openpyxl.Workbook()
    ws = wb.active; ws.title = "survey"
    ws.append(COLS)
    for row in survey:
        ws.append([row.get(c, "") for c in COLS])
    cs = wb.create_sheet("choices")
    extra = sorted({k for c in choices for k in c if k not in ("list_name","name","label")})
    cs.append(["list_name","name","label"] + extra)
    for c in choices:
        cs.append([c["list_name"], c["name"], c["label"]] + [c.get(k,"") for k in extra])
    ds = wb.create_sheet("departments")
    ds.append(["department","title"])
    for d in departments: ds.append(list(d))
    st = wb.create_sheet("settings")
    st.append(["form_id","version","form_title"])
    st.append(list(settings))
    wb.save(path)

REGION = [
 dict(list_name="provinces", name="330000", label="浙江省"),
 dict(list_name="cities", name="330100", label="杭州市", province="330000"),
 dict(list_name="cities", name="330300", label="温州市", province="330000"),
] + [dict(list_name="counties", name=n, label=l, city=c) for n,l,c in [
 ("330102","上城区","330100"),("330105","拱墅区","330100"),("330106","西湖区","330100"),
 ("330302","鹿城区","330300"),("330303","龙湾区","330300"),("330304","瓯海区","330300"),("330305","洞头区","330300"),
 ("330324","永嘉县","330300"),("330326","平阳县","330300"),("330327","苍南县","330300"),("330328","文成县","330300"),("330329","泰顺县","330300"),("330381","瑞安市","330300"),("330382","乐清市","330300"),("330383","龙港市","330300")]]

def region(prefix, label, dept, source=None):
    fill = (lambda key: dict(prefill=f"{source}.{key}")) if source else (lambda key: {})
    return [
     dict(type="select_one provinces", name=prefix+"province", label=label+"（省）", required="yes", default="330000", department=dept, **fill("province_code")),
     dict(type="select_one cities", name=prefix+"city", label=label+"（市）", required="yes", choice_filter="province = ${%sprovince}" % prefix, department=dept, **fill("city_code")),
     dict(type="select_one counties", name=prefix+"county", label=label+"（区县）", required="yes", choice_filter="city = ${%scity}" % prefix, department=dept, **fill("county_code")),
    ]

out = sys.argv[1]
# 企业开办一件事
S = [
 dict(type="begin group", name="enterprise", label="企业基本信息"),
 dict(type="text", name="enterprise_name", label="企业名称", required="yes", constraint="string-length(.) >= 6", constraint_message="企业名称至少 6 个字（含行政区划和组织形式）", department="market_regulation,taxation,public_security,human_resources"),
 dict(type="select_one enterprise_types", name="enterprise_type", label="企业类型", required="yes", default="limited", department="market_regulation,taxation"),
 dict(type="money", name="registered_capital", label="注册资本（元）", required="yes", constraint=". > yuan(0)", constraint_message="注册资本须大于 0", department="market_regulation"),
 dict(type="text", name="business_scope", label="经营范围", required="yes", department="market_regulation,taxation"),
] + region("", "住所", "market_regulation,taxation") + [
 dict(type="text", name="address", label="详细地址", required="yes", department="market_regulation,taxation"),
 dict(type="end group"),
 dict(type="begin group", name="legal_rep", label="法定代表人", department="market_regulation,public_security,taxation"),
 dict(type="text", name="legal_name", label="姓名", required="yes", prefill="profile.name"),
 dict(type="resident_id", name="legal_id", label="公民身份号码", required="yes", prefill="profile.id_number"),
 dict(type="phone", name="legal_phone", label="手机号码", required="yes", prefill="last"),
 dict(type="end group"),
 dict(type="begin repeat", name="shareholders", label="股东（发起人）", repeat_min="1", repeat_max="50", department="market_regulation"),
 dict(type="text", name="shareholder_name", label="股东姓名", required="yes"),
 dict(type="resident_id", name="shareholder_id", label="股东身份号码", required="yes"),
 dict(type="money", name="contribution", label="认缴出资（元）", required="yes", constraint=". > yuan(0)", constraint_message="认缴出资须大于 0"),
 dict(type="end repeat"),
 dict(type="money", name="total_contribution", label="认缴出资合计（元）", calculate="sum(${contribution})", department="market_regulation"),
 dict(type="acknowledge", name="capital_matches", label="出资合计与注册资本一致", calculate="${total_contribution} = ${registered_capital}", constraint=". = true", constraint_message="股东认缴出资合计须等于注册资本", department="market_regulation"),
 dict(type="begin group", name="tax", label="税务信息"),
 dict(type="select_one taxpayer_types", name="taxpayer_type", label="纳税人类型", required="yes", default="small", department="taxation"),
 dict(type="boolean", name="invoice_needed", label="需要申领发票", required="yes", default="yes", department="taxation"),
 dict(type="select_multiple invoice_kinds", name="invoice_kinds", label="发票种类", required="yes", relevant="${invoice_needed}", department="taxation"),
 dict(type="end group"),
 dict(type="select_multiple seal_kinds", name="seal_kinds", label="刻制印章", required="yes", default="official finance", constraint="selected(., 'official')", constraint_message="公章为必刻印章", department="public_security"),
 dict(type="begin group", name="social", label="社保登记"),
 dict(type="integer", name="employee_count", label="参保职工人数", required="yes", default="0", constraint=". >= 0", constraint_message="人数不能为负数", department="human_resources"),
 dict(type="date", name="social_start", label="参保起始日期", required="yes", relevant="${employee_count} > 0", department="human_resources"),
 dict(type="end group"),
 dict(type="phone", name="contact_phone", label="联系电话", required="yes", prefill="last", department="market_regulation,taxation,public_security,human_resources"),
]
C = REGION + [
 dict(list_name="enterprise_types", name="limited", label="有限责任公司"),
 dict(list_name="enterprise_types", name="sole", label="个人独资企业"),
 dict(list_name="enterprise_types", name="partnership", label="合伙企业"),
 dict(list_name="taxpayer_types", name="small", label="小规模纳税人"),
 dict(list_name="taxpayer_types", name="general", label="一般纳税人"),
 dict(list_name="invoice_kinds", name="vat_normal", label="增值税普通发票"),
 dict(list_name="invoice_kinds", name="vat_special", label="增值税专用发票"),
 dict(list_name="seal_kinds", name="official", label="公章"),
 dict(list_name="seal_kinds", name="finance", label="财务专用章"),
 dict(list_name="seal_kinds", name="invoice", label="发票专用章"),
 dict(list_name="seal_kinds", name="contract", label="合同专用章"),
]
D = [("market_regulation","设立登记（营业执照）"),("taxation","涉税事项（税务信息确认、发票申领）"),("public_security","印章刻制备案"),("human_resources","社保登记")]
book(out+"/enterprise-setup.xlsx", ("enterprise-setup", 2, "企业开办一件事"), S, C, D)

# 新生儿出生一件事
S = [
 dict(type="begin group", name="baby", label="新生儿信息"),
 dict(type="text", name="baby_name", label="新生儿姓名", required="yes", constraint="string-length(.) >= 2", constraint_message="姓名至少 2 个字", department="health,public_security,human_resources"),
 dict(type="select_one sexes", name="baby_sex", label="性别", required="yes", prefill="birth.sex", department="health,public_security,human_resources"),
 dict(type="date", name="birth_date", label="出生日期", required="yes", prefill="birth.birth_date", constraint=". <= today()", constraint_message="出生日期不能晚于今天", department="health,public_security,human_resources"),
 dict(type="time", name="birth_time", label="出生时间", required="yes", prefill="birth.birth_time", department="health"),
 dict(type="integer", name="birth_weight", label="出生体重（克）", required="yes", prefill="birth.weight_grams", constraint=". >= 500 and . <= 6000", constraint_message="出生体重须在 500–6000 克之间", department="health"),
 dict(type="text", name="hospital", label="接生机构", required="yes", prefill="birth.hospital", department="health"),
] + region("birth_", "出生地", "health,public_security", "birth") + [
 dict(type="end group"),
 dict(type="begin group", name="mother", label="母亲", department="health,public_security"),
 dict(type="text", name="mother_name", label="母亲姓名", required="yes", prefill="profile.name"),
 dict(type="resident_id", name="mother_id", label="母亲身份号码", required="yes", prefill="profile.id_number"),
 dict(type="end group"),
 dict(type="boolean", name="father_known", label="填写父亲信息", required="yes", default="yes", department="health,public_security"),
 dict(type="begin group", name="father", label="父亲", department="health,public_security"),
 dict(type="text", name="father_name", label="父亲姓名", required="yes", relevant="${father_known}"),
 dict(type="resident_id", name="father_id", label="父亲身份号码", required="yes", relevant="${father_known}"),
 dict(type="end group"),
 dict(type="begin group", name="household", label="户口登记", department="public_security"),
 dict(type="select_one parents", name="household_parent", label="随父或随母落户", required="yes", default="mother"),
 dict(type="text", name="household_address", label="落户地址", required="yes", prefill="household.address"),
 dict(type="end group"),
 dict(type="begin group", name="social_card", label="社保卡申领", department="human_resources"),
 dict(type="boolean", name="card_wanted", label="同时申领社会保障卡", required="yes", default="yes"),
 dict(type="select_one banks", name="card_bank", label="社保卡合作银行", required="yes", relevant="${card_wanted}", prefill="last"),
 dict(type="end group"),
 dict(type="phone", name="guardian_phone", label="监护人手机号码", required="yes", prefill="last", department="health,public_security,human_resources"),
]
C = REGION + [
 dict(list_name="sexes", name="1", label="男"), dict(list_name="sexes", name="2", label="女"),
 dict(list_name="parents", name="mother", label="随母落户"), dict(list_name="parents", name="father", label="随父落户"),
 dict(list_name="banks", name="wzbank", label="温州银行"), dict(list_name="banks", name="icbc", label="工商银行"), dict(list_name="banks", name="ccb", label="建设银行"),
]
D = [("health","出生医学证明"),("public_security","出生户口登记"),("human_resources","社会保障卡申领")]
book(out+"/newborn.xlsx", ("newborn", 2, "新生儿出生一件事"), S, C, D)

# 惠企政策兑现申报
S = [
 dict(type="begin group", name="enterprise", label="申报企业", department="economy"),
 dict(type="text", name="enterprise_name", label="企业名称", required="yes", prefill="registration.name"),
 dict(type="uscc", name="uscc", label="统一社会信用代码", required="yes", prefill="registration.uscc"),
 dict(type="text", name="legal_name", label="法定代表人", required="yes", prefill="registration.legal_representative"),
 dict(type="select_one counties", name="county", label="所在区县", required="yes", choice_filter="city = '330300'", prefill="registration.county_code"),
 dict(type="end group"),
 dict(type="text", name="policy_id", label="申报政策编号", required="yes", department="economy"),
 dict(type="begin group", name="figures", label="经营情况", department="economy"),
 dict(type="integer", name="employees", label="参保职工人数", required="yes", prefill="social_security.insured_employees", constraint=". >= 0", constraint_message="人数不能为负数"),
 dict(type="money", name="revenue_last_year", label="上年度营业收入（元）", required="yes", prefill="tax.revenue", constraint=". >= yuan(0)", constraint_message="营业收入不能为负数"),
 dict(type="money", name="claim_amount", label="申请兑现金额（元）", required="yes", constraint=". > yuan(0)", constraint_message="申请金额须大于 0"),
 dict(type="end group"),
 dict(type="begin group", name="payee", label="收款账户", department="economy"),
 dict(type="text", name="bank_name", label="开户银行", required="yes", prefill="tax.settlement_bank"),
 dict(type="text", name="bank_account", label="银行账号", required="yes", prefill="tax.settlement_account", constraint="regex(., '^[0-9]{10,25}$')", constraint_message="银行账号须为 10–25 位数字"),
 dict(type="end group"),
 dict(type="phone", name="contact_phone", label="联系人手机号码", required="yes", prefill="last", department="economy"),
 dict(type="acknowledge", name="commitment", label="本企业承诺所填信息真实有效", required="yes", constraint=". = true", constraint_message="请确认承诺后提交", department="economy"),
]
C = [c for c in REGION if c["list_name"] == "counties"]
D = [("economy","惠企政策兑现")]
book(out+"/policy-claim.xlsx", ("policy-claim", 2, "惠企政策兑现申报"), S, C, D)
