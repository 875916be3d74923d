//! The report as one self-contained HTML page for the security committee.
//!
//! The page fetches nothing: charts are inline SVG drawn with plotters, styles are
//! inline, there is no script. It opens with the verdicts, so a committee member sees in
//! a minute which targets were missed, and then gives each figure a chart of this month
//! against the last, its table by zone, and the SQL behind it. It prints on A4.

use std::fmt::Write as _;

use plotters::prelude::*;

use super::{Figure, FigureRow, Report, Unit, Verdict, format_target, format_value, zone_label};

/// Bars a chart shows at most; longer breakdowns are in the table below it.
const MAX_BARS: usize = 16;

const STYLE: &str = r#"
@page { size: A4; margin: 14mm 12mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK JP", "Hiragino Sans", "Yu Gothic", "Meiryo", sans-serif;
       color: #1a1a1a; margin: 0 auto; max-width: 186mm; font-size: 10.5pt; line-height: 1.5; }
h1 { font-size: 17pt; margin: 0 0 2mm; }
h2 { font-size: 12.5pt; margin: 0 0 1mm; border-left: 4px solid #1f4e79; padding-left: 2mm; }
.meta { color: #555; font-size: 9pt; margin-bottom: 4mm; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0; font-size: 9.5pt; }
th, td { border: 1px solid #bbb; padding: 1mm 2mm; text-align: left; }
th { background: #eef2f7; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.pass { color: #1b6e20; font-weight: bold; }
.fail { color: #b00020; font-weight: bold; }
.overview { display: flex; gap: 4mm; margin: 3mm 0 5mm; }
.overview div { flex: 1; border: 1px solid #bbb; border-radius: 2mm; padding: 2mm 3mm; }
.overview strong { font-size: 16pt; display: block; }
section { break-inside: avoid; margin: 0 0 6mm; }
.ref { color: #555; font-size: 9pt; }
svg { width: 100%; height: auto; display: block; }
details { font-size: 8.5pt; color: #333; }
pre { white-space: pre-wrap; word-break: break-all; background: #f6f6f6; padding: 2mm; margin: 1mm 0; }
@media print { details { display: block; } details > summary { list-style: none; } }
"#;

/// Renders the page.
pub fn render(report: &Report) -> anyhow::Result<String> {
    let mut out = String::with_capacity(64 * 1024);
    let title = format!("情報セキュリティ月次報告 {}", report.month_label);
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(&title),
        escape(&title)
    )?;
    writeln!(
        out,
        "<p class=\"meta\">対象期間: {} 0時 〜 翌月1日 0時（日本時間） ・ 比較: 前月（{}） ・ 作成: {} ・ sanso</p>",
        escape(&report.month_label),
        escape(&report.previous_month),
        escape(&report.generated_at)
    )?;
    overview(&mut out, report)?;
    summary_table(&mut out, report)?;
    for figure in &report.figures {
        section(&mut out, figure)?;
    }
    out.push_str(
        "<p class=\"meta\">各数値は、節ごとに示した SQL を <code>sanso sql</code> で実行すると再現できます。\
         CSV 版・JSON 版にも同じ SQL を収めています。</p>\n</body>\n</html>\n",
    );
    Ok(out)
}

fn overview(out: &mut String, report: &Report) -> std::fmt::Result {
    let judged: Vec<Verdict> = report.figures.iter().filter_map(|f| f.verdict).collect();
    let failed = judged.iter().filter(|v| **v == Verdict::Fail).count();
    let passed = judged.len() - failed;
    writeln!(
        out,
        "<div class=\"overview\">\
         <div>目標のある指標<strong>{}</strong></div>\
         <div>適合<strong class=\"pass\">{passed}</strong></div>\
         <div>不適合<strong class=\"fail\">{failed}</strong></div></div>",
        judged.len()
    )
}

fn summary_table(out: &mut String, report: &Report) -> std::fmt::Result {
    out.push_str(
        "<table>\n<tr><th>指標</th><th>当月</th><th>前月</th><th>目標</th><th>判定</th></tr>\n",
    );
    for figure in &report.figures {
        let (value, previous) = match headline(figure) {
            Some(row) => (
                format_value(figure.unit, row.value),
                format_value(figure.unit, row.previous),
            ),
            None => ("内訳参照".to_owned(), String::new()),
        };
        writeln!(
            out,
            "<tr><td><a href=\"#{}\">{}</a></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
            figure.id,
            escape(figure.title),
            escape(&value),
            escape(&previous),
            escape(&format_target(figure.unit, figure.target)),
            verdict_cell(figure.verdict)
        )?;
    }
    out.push_str("</table>\n");
    Ok(())
}

/// The row that stands for the whole figure in the summary: the city total, or the only
/// row there is.
fn headline(figure: &Figure) -> Option<&FigureRow> {
    figure
        .rows
        .iter()
        .find(|r| r.zone == "all" && r.item.is_empty())
        .or_else(|| (figure.rows.len() == 1).then(|| &figure.rows[0]))
}

fn section(out: &mut String, figure: &Figure) -> anyhow::Result<()> {
    write!(
        out,
        "<section id=\"{}\">\n<h2>{}</h2>\n<p class=\"ref\">{} ・ {} ・ 目標: {} ・ 判定: {}</p>\n",
        figure.id,
        escape(figure.title),
        escape(figure.title_en),
        escape(figure.policy_ref),
        escape(&or_dash(format_target(figure.unit, figure.target))),
        verdict_cell(figure.verdict)
    )?;
    let bars = chart_rows(figure);
    if bars.is_empty() {
        out.push_str("<p>対象のデータはありませんでした。</p>\n");
    } else {
        out.push_str(&chart(figure, &bars)?);
        out.push('\n');
    }
    if !figure.rows.is_empty() {
        let item = figure
            .item_label
            .map(|l| format!("<th>{}</th>", escape(l)))
            .unwrap_or_default();
        write!(
            out,
            "<table>\n<tr><th>ゾーン</th>{item}<th>当月</th><th>前月</th><th>判定</th></tr>\n"
        )?;
        for row in &figure.rows {
            let item = if figure.item_label.is_some() {
                format!("<td>{}</td>", escape(&row.item))
            } else {
                String::new()
            };
            writeln!(
                out,
                "<tr><td>{}</td>{item}<td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                escape(zone_label(&row.zone)),
                escape(&format_value(figure.unit, row.value)),
                escape(&format_value(figure.unit, row.previous)),
                verdict_cell(row.verdict)
            )?;
        }
        out.push_str("</table>\n");
    }
    write!(
        out,
        "<details><summary>算出SQL</summary><pre>{}</pre></details>\n</section>\n",
        escape(&figure.sql)
    )?;
    Ok(())
}

/// The rows a chart compares: per zone without the city total, or per item for a
/// breakdown (the city-wide items when there are any).
fn chart_rows(figure: &Figure) -> Vec<(String, f64, f64)> {
    let rows: Vec<&FigureRow> = if figure.item_label.is_some() {
        let city: Vec<&FigureRow> = figure.rows.iter().filter(|r| r.zone == "all").collect();
        if city.is_empty() {
            figure.rows.iter().collect()
        } else {
            city
        }
    } else {
        figure.rows.iter().filter(|r| r.zone != "all").collect()
    };
    rows.into_iter()
        .filter(|r| r.value.is_some() || r.previous.is_some())
        .take(MAX_BARS)
        .map(|r| {
            let label = if figure.item_label.is_some() {
                r.item.clone()
            } else {
                zone_label(&r.zone).to_owned()
            };
            (
                chart_text(&label),
                r.value.unwrap_or(0.0),
                r.previous.unwrap_or(0.0),
            )
        })
        .collect()
}

/// A grouped bar chart, last month beside this month, as an SVG element.
fn chart(figure: &Figure, bars: &[(String, f64, f64)]) -> anyhow::Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (700, 240)).into_drawing_area();
        root.fill(&WHITE)?;
        let top = bars
            .iter()
            .map(|(_, now, before)| now.max(*before))
            .fold(0.0_f64, f64::max);
        let top = match figure.unit {
            Unit::Percent => 100.0,
            Unit::Count | Unit::Minutes | Unit::Days => (top * 1.15).ceil().max(1.0),
        };
        let mut chart = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(34)
            .y_label_area_size(56)
            // An integer range is inclusive in plotters, so `0..n - 1` is n segments.
            .build_cartesian_2d((0..bars.len() - 1).into_segmented(), 0.0..top)?;
        let unit = figure.unit.label();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .y_desc(unit)
            .label_style(("sans-serif", 13))
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => bars.get(*i).map(|b| b.0.clone()).unwrap_or_default(),
                _ => String::new(),
            })
            .light_line_style(WHITE)
            .y_labels(match figure.unit {
                Unit::Percent => 6,
                // Whole numbers only: a count has no tick at 0.5.
                Unit::Count | Unit::Minutes | Unit::Days => (top as usize).min(8) + 1,
            })
            .y_label_formatter(&|v| format_value(figure.unit, Some(*v)))
            .draw()?;
        let previous = RGBColor(170, 180, 195);
        let current = RGBColor(31, 78, 121);
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, _, before))| {
                let mut bar = Rectangle::new(
                    [
                        (SegmentValue::Exact(i), 0.0),
                        (SegmentValue::CenterOf(i), *before),
                    ],
                    previous.filled(),
                );
                bar.set_margin(0, 0, 14, 1);
                bar
            }))?
            .label("前月")
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], previous.filled()));
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, now, _))| {
                let mut bar = Rectangle::new(
                    [
                        (SegmentValue::CenterOf(i), 0.0),
                        (SegmentValue::Exact(i + 1), *now),
                    ],
                    current.filled(),
                );
                bar.set_margin(0, 0, 1, 14);
                bar
            }))?
            .label("当月")
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], current.filled()));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .label_font(("sans-serif", 13))
            .draw()?;
        root.present()?;
    }
    Ok(svg)
}

fn verdict_cell(verdict: Option<Verdict>) -> String {
    match verdict {
        Some(v @ Verdict::Pass) => format!("<span class=\"pass\">{}</span>", v.label()),
        Some(v @ Verdict::Fail) => format!("<span class=\"fail\">{}</span>", v.label()),
        None => "―".to_owned(),
    }
}

fn or_dash(text: String) -> String {
    if text.is_empty() {
        "なし".to_owned()
    } else {
        text
    }
}

/// Escapes text for HTML element content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A chart label safe to hand to the SVG writer: device names come from the logs, and
/// markup characters in them are shown as their full-width forms, short enough to fit
/// under a bar.
fn chart_text(label: &str) -> String {
    label
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| match c {
            '&' => '＆',
            '<' => '＜',
            '>' => '＞',
            '"' => '＂',
            '\'' => '＇',
            c => c,
        })
        .take(18)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_names_is_escaped() {
        assert_eq!(escape("<script>&\"'"), "&lt;script&gt;&amp;&quot;&#39;");
        assert_eq!(chart_text("fw<1>&\u{1b}[31m"), "fw＜1＞＆[31m");
    }
}
