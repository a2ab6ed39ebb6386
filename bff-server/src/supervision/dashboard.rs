//! The leaders' figures (统计) and the `.xlsx` report (统计报表) made from the very same
//! [`Dashboard`], so the mini-app's charts and the exported sheets cannot disagree.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use zhelikit_domain::api::Problem;
use zhelikit_domain::paths;
use zhelikit_domain::supervision::dashboard::{Counts, IndicatorFact, TaskFact};
use zhelikit_domain::supervision::{dashboard, Action, Dashboard};

use super::actor;
use super::view::{status_of, Model};
use crate::app::AppState;
use crate::http::problem::ApiError;
use crate::identity::auth::Authenticated;
use crate::storage::StoredTask;

/// The media type of an `.xlsx` workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The figures over every active item, today.
pub(crate) async fn compute(state: &AppState) -> Result<Dashboard, ApiError> {
    let today = state.clock.today();
    let items = state.store.supervision_items().await?;
    let mut by_item: HashMap<String, Vec<StoredTask>> = HashMap::new();
    for t in state.store.tasks_of_items_in("active").await? {
        by_item.entry(t.item_id.clone()).or_default().push(t);
    }
    let mut tasks = Vec::new();
    let mut indicators = Vec::new();
    let mut counted = 0u32;
    for item in items.into_iter().filter(|i| i.status == "active") {
        counted += 1;
        let rows = by_item.remove(&item.id).unwrap_or_default();
        let model = Model::new(item, rows)?;
        for t in &model.tasks {
            tasks.push(TaskFact {
                item: model.item.id.clone(),
                task: t.id.clone(),
                unit: t.unit_code.clone(),
                unit_name: t.unit_name.clone(),
                due: t.due_day,
                status: status_of(t)?,
                done_on: t.done_day,
                progress: model.rollup.progress.get(&t.id).copied().unwrap_or(0),
            });
        }
        for i in model.indicators() {
            indicators.push(IndicatorFact {
                item: model.item.id.clone(),
                item_title: model.item.title.clone(),
                key: i.key,
                name: i.name,
                unit: i.unit,
                target: i.target,
                value: i.value,
            });
        }
    }
    Ok(dashboard(counted, &tasks, &indicators, today))
}

/// The city-wide figures: progress per unit, the on-time rate, indicator completion, the
/// overdue tasks.
#[utoipa::path(get, path = paths::SUPERVISION_DASHBOARD, tag = "supervision", security(("bearer" = [])),
    responses((status = 200, body = Dashboard),
        (status = 403, description = "supervision_forbidden", body = Problem, content_type = "application/problem+json")))]
pub async fn figures(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<Json<Dashboard>, ApiError> {
    let a = actor(&state, &auth).await?;
    a.may(Action::Dashboard, None)?;
    Ok(Json(compute(&state).await?))
}

/// The same figures as an `.xlsx` report: 汇总, 单位进度, 指标完成, 逾期任务, 说明.
#[utoipa::path(get, path = paths::SUPERVISION_EXPORT, tag = "supervision", security(("bearer" = [])),
    responses((status = 200, description = "the report", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, description = "supervision_forbidden", body = Problem, content_type = "application/problem+json")))]
pub async fn export(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<impl IntoResponse, ApiError> {
    let a = actor(&state, &auth).await?;
    a.may(Action::Dashboard, None)?;
    let figures = compute(&state).await?;
    let bytes = workbook(&figures).map_err(|e| ApiError::internal(format!("xlsx: {e}")))?;
    let name = format!("督查统计报表-{}.xlsx", figures.as_of);
    Ok((
        [
            (header::CONTENT_TYPE, XLSX.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"supervision-{}.xlsx\"; filename*=UTF-8''{}",
                    figures.as_of,
                    percent(&name)
                ),
            ),
        ],
        bytes,
    ))
}

/// RFC 5987 encoding of a file name.
fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A rate in thousandths as a spreadsheet fraction (shown as a percentage).
fn fraction(permille: u32) -> f64 {
    f64::from(permille) / 1_000.0
}

fn counts_row(
    sheet: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    from: u16,
    c: &Counts,
    pct: &Format,
) -> Result<(), XlsxError> {
    let numbers = [c.tasks, c.open, c.done, c.done_on_time, c.overdue];
    for (i, n) in numbers.iter().enumerate() {
        sheet.write_number(row, from + i as u16, f64::from(*n))?;
    }
    match c.on_time_permille {
        Some(p) => sheet.write_number_with_format(row, from + 5, fraction(p), pct)?,
        None => sheet.write_string(row, from + 5, "—")?,
    };
    sheet.write_number_with_format(row, from + 6, fraction(c.progress_permille), pct)?;
    Ok(())
}

const COUNT_HEADERS: [&str; 7] = [
    "任务数",
    "办理中",
    "已办结",
    "按期办结",
    "逾期未办结",
    "按期办结率",
    "平均进度",
];

/// The workbook of `d`.
pub fn workbook(d: &Dashboard) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let pct = Format::new().set_num_format("0.0%");

    let sheet = book.add_worksheet();
    sheet.set_name("汇总")?;
    sheet.write_string_with_format(0, 0, "政务督查统计报表", &bold)?;
    sheet.write_string(1, 0, format!("统计日期：{}", d.as_of))?;
    sheet.write_string(2, 0, "督查事项数")?;
    sheet.write_number(2, 1, f64::from(d.items))?;
    for (i, h) in COUNT_HEADERS.iter().enumerate() {
        sheet.write_string_with_format(4, i as u16, *h, &bold)?;
    }
    counts_row(sheet, 5, 0, &d.totals, &pct)?;
    sheet.set_column_width(0, 14)?;

    let sheet = book.add_worksheet();
    sheet.set_name("单位进度")?;
    sheet.write_string_with_format(0, 0, "单位", &bold)?;
    for (i, h) in COUNT_HEADERS.iter().enumerate() {
        sheet.write_string_with_format(0, 1 + i as u16, *h, &bold)?;
    }
    for (r, u) in d.units.iter().enumerate() {
        let row = 1 + r as u32;
        sheet.write_string(row, 0, &u.name)?;
        counts_row(sheet, row, 1, &u.counts, &pct)?;
    }
    sheet.set_column_width(0, 32)?;

    let sheet = book.add_worksheet();
    sheet.set_name("指标完成")?;
    for (i, h) in ["督查事项", "指标", "单位", "目标", "完成", "完成率"]
        .iter()
        .enumerate()
    {
        sheet.write_string_with_format(0, i as u16, *h, &bold)?;
    }
    for (r, i) in d.indicators.iter().enumerate() {
        let row = 1 + r as u32;
        sheet.write_string(row, 0, &i.item_title)?;
        sheet.write_string(row, 1, &i.name)?;
        sheet.write_string(row, 2, &i.unit)?;
        sheet.write_number(row, 3, i.target.to_string().parse().unwrap_or(0.0))?;
        sheet.write_number(row, 4, i.value.to_string().parse().unwrap_or(0.0))?;
        sheet.write_number_with_format(row, 5, fraction(i.completion_permille), &pct)?;
    }
    sheet.set_column_width(0, 28)?;
    sheet.set_column_width(1, 20)?;

    let sheet = book.add_worksheet();
    sheet.set_name("逾期任务")?;
    for (i, h) in ["任务编号", "单位", "截止日期", "逾期天数"]
        .iter()
        .enumerate()
    {
        sheet.write_string_with_format(0, i as u16, *h, &bold)?;
    }
    for (r, o) in d.overdue.iter().enumerate() {
        let row = 1 + r as u32;
        sheet.write_string(row, 0, &o.task)?;
        sheet.write_string(row, 1, &o.unit_name)?;
        sheet.write_string(row, 2, &o.due)?;
        sheet.write_number(row, 3, o.days_overdue as f64)?;
    }
    sheet.set_column_width(1, 32)?;

    let sheet = book.add_worksheet();
    sheet.set_name("说明")?;
    let notes = [
        "任务数：未撤销的任务（含分解到下级单位的任务）。",
        "逾期未办结：截止日期已过仍在办理中的任务。",
        "按期办结：在截止日期当天或之前办结的任务。",
        "按期办结率：按期办结数 ÷（已办结数 + 逾期未办结数）；尚未到期的任务不计入。",
        "平均进度：各任务进度的平均值；任务进度为其各项指标完成率的平均值，无指标时为其下级任务进度的平均值，已办结为 100%。",
        "指标完成：督查事项各项指标的目标与经审核的报送数值之和。",
    ];
    for (r, n) in notes.iter().enumerate() {
        sheet.write_string(r as u32, 0, *n)?;
    }
    book.save_to_buffer()
}
