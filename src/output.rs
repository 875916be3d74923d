//! `sanso sql`: run one query over the lake and print the result.

use std::fs::File;
use std::io::Write;
use std::sync::Arc;

use anyhow::Context;
use arrow::array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, SchemaRef};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use sanso_ingest::zones::ZoneMap;
use sanso_query::lake::LakeLocation;
use sanso_query::session::retyped;
use sanso_query::{Lake, QueryLimits};

use crate::cli::{OutputFormat, SqlArgs};

/// Runs the query in `args` against the lake at `data`; `zone_of` uses `zones`.
pub fn sql(
    data: &LakeLocation,
    zones: Arc<ZoneMap>,
    limits: QueryLimits,
    args: &SqlArgs,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let (schema, batches) = runtime.block_on(async {
        let lake = Lake::open_with_limits(data, zones, limits).await?;
        lake.sql(&args.query).await
    })?;
    let mut out: Box<dyn Write> = match &args.out {
        Some(path) => {
            Box::new(File::create(path).with_context(|| format!("creating {}", path.display()))?)
        }
        None => Box::new(std::io::stdout().lock()),
    };
    write_result(&mut out, args.format, schema, &batches)?;
    out.flush()?;
    Ok(())
}

/// Writes a query result in `format`.
pub fn write_result(
    out: &mut dyn Write,
    format: OutputFormat,
    schema: SchemaRef,
    batches: &[RecordBatch],
) -> anyhow::Result<()> {
    match format {
        OutputFormat::Table => {
            // With the schema, a result without rows still shows its column names.
            let table = arrow::util::pretty::pretty_format_batches_with_schema(schema, batches)?;
            writeln!(out, "{table}")?;
        }
        OutputFormat::Csv => {
            let (schema, batches) = plain_strings(&schema, batches, true)?;
            let mut writer = arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(out);
            if batches.is_empty() {
                writer.write(&RecordBatch::new_empty(schema))?;
            }
            for batch in &batches {
                writer.write(batch)?;
            }
        }
        OutputFormat::Json => {
            let (_, batches) = plain_strings(&schema, batches, false)?;
            let mut writer = arrow::json::ArrayWriter::new(out);
            let refs: Vec<&RecordBatch> = batches.iter().collect();
            writer.write_batches(&refs)?;
            writer.finish()?;
        }
        OutputFormat::Parquet => {
            let mut buffer = Vec::new();
            let mut writer = parquet::arrow::ArrowWriter::try_new(&mut buffer, schema, None)?;
            for batch in batches {
                writer.write(batch)?;
            }
            writer.close()?;
            out.write_all(&buffer)?;
        }
    }
    Ok(())
}

/// CSV and JSON writers want plain strings, not dictionaries; CSV also has no notation
/// for maps, lists and structs, so those become their display text (`{key: value}`).
fn plain_strings(
    schema: &SchemaRef,
    batches: &[RecordBatch],
    nested_as_text: bool,
) -> anyhow::Result<(SchemaRef, Vec<RecordBatch>)> {
    let plain_type = |data_type: &DataType| match data_type {
        DataType::Dictionary(_, value) => value.as_ref().clone(),
        DataType::Map(..) | DataType::List(_) | DataType::Struct(_) if nested_as_text => {
            DataType::Utf8
        }
        other => other.clone(),
    };
    let plain = retyped(schema, |f| plain_type(f.data_type()));
    let batches = batches
        .iter()
        .map(|batch| {
            let columns = batch
                .columns()
                .iter()
                .zip(plain.fields())
                .map(|(column, field)| match column.data_type() {
                    DataType::Map(..) | DataType::List(_) | DataType::Struct(_)
                        if nested_as_text =>
                    {
                        display_text(column)
                    }
                    _ => Ok(cast(column, field.data_type())?),
                })
                .collect::<anyhow::Result<Vec<ArrayRef>>>()?;
            Ok(RecordBatch::try_new(plain.clone(), columns)?)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok((plain, batches))
}

fn display_text(column: &ArrayRef) -> anyhow::Result<ArrayRef> {
    let formatter = ArrayFormatter::try_new(column.as_ref(), &FormatOptions::default())?;
    let text: StringArray = (0..column.len())
        .map(|i| column.is_valid(i).then(|| formatter.value(i).to_string()))
        .collect();
    Ok(Arc::new(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::{Field, Schema};

    #[test]
    fn a_table_without_rows_shows_its_columns() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("src_ip", DataType::Utf8, true),
            Field::new("failures", DataType::Int64, false),
        ]));
        let mut out = Vec::new();
        write_result(&mut out, OutputFormat::Table, schema, &[]).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("| src_ip | failures |"), "{text}");
    }
}
