//! The report as CSV that Excel opens correctly on a Japanese Windows PC.
//!
//! Excel reads a CSV file without a byte-order mark as Shift_JIS there, so the file
//! starts with the UTF-8 BOM; rows end in CRLF; every field is quoted, so commas, quotes
//! and line breaks inside device or user names stay in their cell. A cell that starts
//! with `=`, `+`, `-`, `@`, a tab or a carriage return would be read as a formula (the
//! names in the lake come from the devices, and so in the end from whoever sends them
//! traffic), so such a cell gets a leading apostrophe and is shown as text.

use super::{Report, format_target, format_value, zone_label};

const BOM: &str = "\u{feff}";

const HEADER: [&str; 12] = [
    "指標ID",
    "指標",
    "根拠条項",
    "ゾーン",
    "区分",
    "項目",
    "当月",
    "前月",
    "単位",
    "目標",
    "判定",
    "SQL",
];

/// The report as CSV bytes.
pub fn render(report: &Report) -> Vec<u8> {
    let mut out = String::from(BOM);
    push_row(&mut out, HEADER.iter().copied());
    for figure in &report.figures {
        let unit = figure.unit.label();
        let target = format_target(figure.unit, figure.target);
        // One line per row keeps the file simple for tools that split on line ends;
        // the query reads the same on one line.
        let sql = figure.sql.replace('\n', " ");
        for row in &figure.rows {
            let verdict = row.verdict.map(|v| v.label()).unwrap_or("");
            let value = format_value(figure.unit, row.value);
            let previous = format_value(figure.unit, row.previous);
            push_row(
                &mut out,
                [
                    figure.id,
                    figure.title,
                    figure.policy_ref,
                    zone_label(&row.zone),
                    figure.item_label.unwrap_or(""),
                    row.item.as_str(),
                    value.as_str(),
                    previous.as_str(),
                    unit,
                    target.as_str(),
                    verdict,
                    sql.as_str(),
                ],
            );
        }
    }
    out.into_bytes()
}

fn push_row<'a>(out: &mut String, cells: impl IntoIterator<Item = &'a str>) {
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        if starts_like_a_formula(cell) {
            out.push('\'');
        }
        out.push_str(&cell.replace('"', "\"\""));
        out.push('"');
    }
    out.push_str("\r\n");
}

fn starts_like_a_formula(cell: &str) -> bool {
    matches!(
        cell.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> String {
        let mut out = String::new();
        push_row(&mut out, cells.iter().copied());
        out
    }

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(
            row(&["=1+1", "+cmd", "-2", "@SUM(A1)", "\tx", "\rx", "ok"]),
            "\"'=1+1\",\"'+cmd\",\"'-2\",\"'@SUM(A1)\",\"'\tx\",\"'\rx\",\"ok\"\r\n"
        );
    }

    #[test]
    fn quotes_commas_and_line_breaks_stay_in_their_cell() {
        assert_eq!(
            row(&["a,b", "say \"hi\"", "two\nlines"]),
            "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n"
        );
    }

    #[test]
    fn a_cell_that_only_contains_a_formula_character_later_is_left_alone() {
        assert_eq!(row(&["a=b"]), "\"a=b\"\r\n");
    }
}
