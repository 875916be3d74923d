//! Rows of one table gathered from many record batches, written out grouped by verdict
//! and in event-time order within each verdict.
//!
//! A file's rows arrive scattered over the batches that held them: a batch of a syslog
//! stream or a Kafka fetch mixes every zone and day, and a compaction reads one batch
//! after another from files whose times overlap. [`FileRows`] only notes where each row
//! is. Writing copies every row once, in file order, straight into the chunks handed to
//! the Parquet encoder. Taking each partition's rows out of its batches, concatenating
//! them and sorting the result copied every row three times, and held two full copies
//! of a flush at once: gathering once took a third off the peak memory of an import.
//!
//! The file order is the table's verdict column ([`verdict_column`]: what the firewall,
//! proxy or logon decided), then event time. Investigations mostly look at the rare
//! verdicts, the blocks, denials and failures; grouped, they lie in a few pages that the
//! page index finds, instead of a row here and there on every page of every column.
//! Within each verdict the rows are in time order, so the page index still narrows a
//! time range to a few pages per verdict. `benches/RESULTS.md` has the figures.

use std::io::Write;
use std::ops::Range;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, DictionaryArray, Int32Array, MapArray, RecordBatch, StringArray,
    StructArray,
};
use arrow::buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer};
use arrow::compute::{concat, interleave};
use arrow::datatypes::{DataType, FieldRef, Int32Type, SchemaRef, TimestampMicrosecondType};
use arrow::error::ArrowError;
use arrow::util::bit_util;
use parquet::arrow::ArrowWriter;
use parquet::errors::ParquetError;
use parquet::file::metadata::SortingColumn;
use sanso_ingest::schema::{Table, col};

use crate::error::LakeError;

/// Rows per batch handed to the Parquet encoder: small enough that the chunk's buffers
/// are reused from the heap rather than mapped and zeroed afresh for every chunk.
const CHUNK_ROWS: usize = 8192;

/// Where one row is, and its event time.
#[derive(Debug, Clone, Copy)]
struct RowRef {
    time: i64,
    source: u32,
    row: u32,
}

/// The column a table's files are grouped by before time: the device's verdict on the
/// event. Tables without one (alerts, unparsed lines) are in time order alone.
pub(super) fn verdict_column(table: Table) -> Option<&'static str> {
    match table {
        Table::Network | Table::Http => Some(col::ACTION),
        Table::Auth => Some(col::OUTCOME),
        Table::Mail => Some(col::DISPOSITION),
        Table::Unparsed | Table::Alerts => None,
    }
}

/// Rows of one table, referenced in the batches that hold them; see the
/// [module docs](self).
#[derive(Debug)]
pub(super) struct FileRows {
    table: Table,
    schema: SchemaRef,
    time_column: usize,
    /// Index of the [`verdict_column`] in `schema`, if the table has one.
    verdict_column: Option<usize>,
    sources: Vec<RecordBatch>,
    rows: Vec<RowRef>,
}

impl FileRows {
    /// No rows yet, for files of `table` (its [`Table::file_schema`]).
    pub(super) fn new(table: Table) -> Self {
        let schema = table.file_schema();
        let time_column = schema
            .index_of(col::TIME)
            .expect("every table has an event time");
        let verdict_column = verdict_column(table).map(|name| {
            schema
                .index_of(name)
                .expect("the verdict column is in the table's schema")
        });
        FileRows {
            table,
            schema,
            time_column,
            verdict_column,
            sources: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// The file schema the rows are written in.
    pub(super) fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// The columns the rows are ordered by, for the file's metadata.
    pub(super) fn sorting_columns(&self) -> Vec<SortingColumn> {
        let ascending = |column: usize| SortingColumn {
            column_idx: i32::try_from(column).expect("fewer than 2^31 columns"),
            descending: false,
            nulls_first: false,
        };
        self.verdict_column
            .into_iter()
            .chain([self.time_column])
            .map(ascending)
            .collect()
    }

    /// Rows added so far.
    pub(super) fn len(&self) -> usize {
        self.rows.len()
    }

    /// Adds the rows of `batch` at `rows`, or all of them; the batch is kept, not copied.
    pub(super) fn push(
        &mut self,
        batch: RecordBatch,
        rows: Option<&[u32]>,
    ) -> Result<(), LakeError> {
        if batch.schema_ref() != &self.schema {
            return Err(LakeError::SchemaMismatch { table: self.table });
        }
        let source = u32::try_from(self.sources.len()).expect("fewer than 2^32 batches per file");
        let time = batch
            .column(self.time_column)
            .as_primitive::<TimestampMicrosecondType>()
            .values();
        let row_ref = |row: u32| RowRef {
            time: time[row as usize],
            source,
            row,
        };
        match rows {
            Some(rows) => self.rows.extend(rows.iter().map(|&row| row_ref(row))),
            None => {
                let all = u32::try_from(batch.num_rows()).expect("fewer than 2^32 rows per batch");
                self.rows.extend((0..all).map(row_ref));
            }
        }
        self.sources.push(batch);
        Ok(())
    }

    /// Adds every row of `later`, which must be of the same table, after these.
    pub(super) fn append(&mut self, later: FileRows) {
        debug_assert_eq!(self.table, later.table);
        let shift = u32::try_from(self.sources.len()).expect("fewer than 2^32 batches per file");
        self.rows.extend(later.rows.into_iter().map(|r| RowRef {
            source: r.source + shift,
            ..r
        }));
        self.sources.extend(later.sources);
    }

    /// Writes every row to `writer` by verdict, then event time; rows of equal verdict
    /// and time keep the order they were added in. The rows stay, so a failed write can
    /// be tried again.
    pub(super) fn write_to<W: Write + Send>(
        &mut self,
        writer: &mut ArrowWriter<W>,
    ) -> Result<(), ParquetError> {
        if self.rows.is_empty() {
            return Ok(());
        }
        match self.verdict_column {
            Some(column) => {
                for group in self.group_by_verdict(column) {
                    order_by_time(&mut self.rows[group]);
                }
            }
            None => order_by_time(&mut self.rows),
        }
        let columns = self
            .schema
            .fields()
            .iter()
            .enumerate()
            .map(|(index, field)| SourceColumn::new(&self.sources, index, field.data_type()))
            .collect::<Result<Vec<_>, ArrowError>>()?;
        let mut indices = Vec::with_capacity(CHUNK_ROWS);
        for chunk in self.rows.chunks(CHUNK_ROWS) {
            indices.clear();
            indices.extend(chunk.iter().map(|r| (r.source as usize, r.row as usize)));
            let arrays = columns
                .iter()
                .map(|column| column.gather(&indices))
                .collect::<Result<Vec<_>, ArrowError>>()?;
            writer.write(&RecordBatch::try_new(Arc::clone(&self.schema), arrays)?)?;
        }
        Ok(())
    }

    /// Puts the rows in the order of their verdicts' text, rows without one last, each
    /// verdict's rows in the order they were in; returns where each verdict's rows are.
    /// A counting sort: the verdicts are few, and the rows many.
    fn group_by_verdict(&mut self, column: usize) -> Vec<Range<usize>> {
        let verdicts: Vec<&DictionaryArray<Int32Type>> = self
            .sources
            .iter()
            .map(|batch| batch.column(column).as_dictionary::<Int32Type>())
            .collect();
        let mut distinct: Vec<&str> = verdicts
            .iter()
            .flat_map(|verdict| verdict_texts(verdict).iter().flatten())
            .collect();
        distinct.sort_unstable();
        distinct.dedup();
        let without_verdict = distinct.len();
        // Each source's dictionary keys, mapped to their verdict's rank.
        let ranks: Vec<Vec<usize>> = verdicts
            .iter()
            .map(|verdict| {
                verdict_texts(verdict)
                    .iter()
                    .map(|text| match text {
                        Some(text) => distinct
                            .binary_search(&text)
                            .expect("every verdict was collected"),
                        None => without_verdict,
                    })
                    .collect()
            })
            .collect();
        let rank_of = |r: &RowRef| {
            let keys = verdicts[r.source as usize].keys();
            let row = r.row as usize;
            if keys.is_valid(row) {
                ranks[r.source as usize][keys.value(row) as usize]
            } else {
                without_verdict
            }
        };
        let row_ranks: Vec<usize> = self.rows.iter().map(rank_of).collect();
        let mut starts = vec![0; without_verdict + 2];
        for &rank in &row_ranks {
            starts[rank + 1] += 1;
        }
        for rank in 1..starts.len() {
            starts[rank] += starts[rank - 1];
        }
        let mut next = starts.clone();
        let mut grouped = self.rows.clone();
        for (row, &rank) in self.rows.iter().zip(&row_ranks) {
            grouped[next[rank]] = *row;
            next[rank] += 1;
        }
        self.rows = grouped;
        starts
            .windows(2)
            .map(|bounds| bounds[0]..bounds[1])
            .filter(|group| !group.is_empty())
            .collect()
    }
}

/// Puts `rows` in time order; rows of equal time keep the order they were added in.
fn order_by_time(rows: &mut [RowRef]) {
    // Most input is nearly in order already, and the check is one pass.
    if !rows.is_sorted_by_key(|r| r.time) {
        rows.sort_unstable_by_key(|r| (r.time, r.source, r.row));
    }
}

/// The text of each of a verdict column's dictionary values.
fn verdict_texts(verdict: &DictionaryArray<Int32Type>) -> &StringArray {
    verdict.values().as_string::<i32>()
}

/// One column across every source batch, ready to gather rows from.
enum SourceColumn<'a> {
    /// Any column but a dictionary, gathered by Arrow's `interleave`.
    Plain(Vec<&'a dyn Array>),
    /// A dictionary column. Arrow's `interleave` would merge the sources' dictionaries
    /// again for every chunk, at a cost that grows with sources × rows. Here the
    /// dictionaries are laid end to end once, and each chunk only shifts its keys. The
    /// values may then repeat, which Arrow allows and the Parquet encoder, building a
    /// dictionary of its own, does not notice.
    Dictionary {
        keys: Vec<&'a Int32Array>,
        offsets: Vec<i32>,
        values: ArrayRef,
    },
    /// A map of text to text: the vendor fields. Arrow's `interleave` gathers a map
    /// entry by entry, through index lists for its keys and values, and a firewall row
    /// has twenty to forty entries. A row's entries lie side by side in its source, so
    /// here each row's keys and values are copied in one piece each.
    TextMap {
        maps: Vec<&'a MapArray>,
        field: FieldRef,
        ordered: bool,
    },
}

impl<'a> SourceColumn<'a> {
    fn new(
        sources: &'a [RecordBatch],
        index: usize,
        data_type: &DataType,
    ) -> Result<Self, ArrowError> {
        let arrays = sources.iter().map(|b| b.column(index).as_ref());
        if let DataType::Map(field, ordered) = data_type
            && is_text_map(field)
        {
            return Ok(SourceColumn::TextMap {
                maps: arrays.map(|a| a.as_map()).collect(),
                field: Arc::clone(field),
                ordered: *ordered,
            });
        }
        if !matches!(data_type, DataType::Dictionary(key, _) if **key == DataType::Int32) {
            return Ok(SourceColumn::Plain(arrays.collect()));
        }
        let dictionaries: Vec<&DictionaryArray<Int32Type>> =
            arrays.map(|a| a.as_dictionary::<Int32Type>()).collect();
        let mut offsets = Vec::with_capacity(dictionaries.len());
        let mut distinct: Vec<&ArrayRef> = Vec::new();
        let mut end = 0usize;
        for dictionary in &dictionaries {
            let values = dictionary.values();
            // Batches read from one row group share their dictionary: lay it down once.
            if distinct
                .last()
                .is_some_and(|last| Arc::ptr_eq(last, values))
            {
                offsets.push(*offsets.last().expect("a dictionary laid down before"));
                continue;
            }
            offsets.push(i32::try_from(end).map_err(|_| ArrowError::DictionaryKeyOverflowError)?);
            end += values.len();
            distinct.push(values);
        }
        // Every shifted key must fit too, not only the offsets.
        i32::try_from(end).map_err(|_| ArrowError::DictionaryKeyOverflowError)?;
        let values = match distinct.as_slice() {
            [only] => Arc::clone(only),
            many => concat(&many.iter().map(|v| v.as_ref()).collect::<Vec<_>>())?,
        };
        Ok(SourceColumn::Dictionary {
            keys: dictionaries.iter().map(|d| d.keys()).collect(),
            offsets,
            values,
        })
    }

    fn gather(&self, indices: &[(usize, usize)]) -> Result<ArrayRef, ArrowError> {
        match self {
            SourceColumn::Plain(arrays) => interleave(arrays, indices),
            SourceColumn::Dictionary {
                keys,
                offsets,
                values,
            } => {
                let shifted: Int32Array = indices
                    .iter()
                    .map(|&(source, row)| {
                        let keys = keys[source];
                        keys.is_valid(row)
                            .then(|| offsets[source] + keys.value(row))
                    })
                    .collect();
                Ok(Arc::new(DictionaryArray::try_new(
                    shifted,
                    Arc::clone(values),
                )?))
            }
            SourceColumn::TextMap {
                maps,
                field,
                ordered,
            } => gather_text_map(maps, field, *ordered, indices),
        }
    }
}

/// Whether a map's entries are text keys and text values, which [`gather_text_map`]
/// handles.
fn is_text_map(entries: &FieldRef) -> bool {
    match entries.data_type() {
        DataType::Struct(fields) => {
            fields.len() == 2 && fields.iter().all(|f| f.data_type() == &DataType::Utf8)
        }
        _ => false,
    }
}

/// The rows at `indices` of text-to-text maps, each row's entries copied as one run.
fn gather_text_map(
    maps: &[&MapArray],
    field: &FieldRef,
    ordered: bool,
    indices: &[(usize, usize)],
) -> Result<ArrayRef, ArrowError> {
    let mut offsets = Vec::with_capacity(indices.len() + 1);
    offsets.push(0i32);
    let mut runs = Vec::with_capacity(indices.len());
    let mut entry_count = 0usize;
    for &(source, row) in indices {
        let bounds = maps[source].value_offsets();
        let run = bounds[row] as usize..bounds[row + 1] as usize;
        entry_count += run.len();
        offsets.push(
            i32::try_from(entry_count).map_err(|_| ArrowError::OffsetOverflowError(entry_count))?,
        );
        runs.push((source, run));
    }
    let nulls = maps.iter().any(|m| m.null_count() > 0).then(|| {
        NullBuffer::new(BooleanBuffer::from_iter(
            indices
                .iter()
                .map(|&(source, row)| maps[source].is_valid(row)),
        ))
    });
    let keys: Vec<&StringArray> = maps.iter().map(|m| m.keys().as_string()).collect();
    let values: Vec<&StringArray> = maps.iter().map(|m| m.values().as_string()).collect();
    let DataType::Struct(fields) = field.data_type() else {
        unreachable!("is_text_map checked the entries' type");
    };
    let entries = StructArray::try_new(
        fields.clone(),
        vec![
            Arc::new(gather_text_runs(&keys, &runs, entry_count)?),
            Arc::new(gather_text_runs(&values, &runs, entry_count)?),
        ],
        None,
    )?;
    Ok(Arc::new(MapArray::try_new(
        Arc::clone(field),
        OffsetBuffer::new(offsets.into()),
        entries,
        nulls,
        ordered,
    )?))
}

/// The values of `arrays` in the given runs of rows, one after the other; `len` is the
/// runs' total length.
fn gather_text_runs(
    arrays: &[&StringArray],
    runs: &[(usize, Range<usize>)],
    len: usize,
) -> Result<StringArray, ArrowError> {
    let bytes: usize = runs
        .iter()
        .map(|(source, run)| {
            let bounds = arrays[*source].value_offsets();
            (bounds[run.end] - bounds[run.start]) as usize
        })
        .sum();
    i32::try_from(bytes).map_err(|_| ArrowError::OffsetOverflowError(bytes))?;
    let mut data = Vec::with_capacity(bytes);
    let mut offsets = Vec::with_capacity(len + 1);
    offsets.push(0i32);
    let with_nulls = arrays.iter().any(|a| a.null_count() > 0);
    let mut validity = with_nulls.then(|| vec![0u8; bit_util::ceil(len, 8)]);
    for (source, run) in runs {
        let array = arrays[*source];
        let bounds = &array.value_offsets()[run.start..=run.end];
        let shift = data.len() as i32 - bounds[0];
        data.extend_from_slice(&array.value_data()[bounds[0] as usize..bounds[run.len()] as usize]);
        if let Some(validity) = &mut validity {
            let at = offsets.len() - 1;
            for (i, row) in run.clone().enumerate() {
                if array.is_valid(row) {
                    bit_util::set_bit(validity, at + i);
                }
            }
        }
        offsets.extend(bounds[1..].iter().map(|end| end + shift));
    }
    let offsets = OffsetBuffer::new(offsets.into());
    let nulls =
        validity.map(|bits| NullBuffer::new(BooleanBuffer::new(Buffer::from(bits), 0, len)));
    // SAFETY: every value is a whole value copied from a string array, so UTF-8, and
    // `OffsetBuffer::new` has checked the offsets. `try_new` would read every byte again
    // to check what the copy cannot change.
    Ok(unsafe { StringArray::new_unchecked(offsets, Buffer::from(data), nulls) })
}

#[cfg(test)]
mod tests {
    use arrow::array::{MapBuilder, StringBuilder};

    use super::*;

    /// A map column of `rows` rows in which row `i` has `i % 5` entries, every seventh
    /// row is null and every third value is null; `tag` makes each source's text its own.
    fn vendor_fields(rows: usize, tag: &str) -> MapArray {
        let mut builder = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new());
        for row in 0..rows {
            if row % 7 == 6 {
                builder.append(false).unwrap();
                continue;
            }
            for entry in 0..row % 5 {
                builder.keys().append_value(format!("{tag}-key{entry}"));
                if (row + entry) % 3 == 0 {
                    builder.values().append_null();
                } else {
                    builder
                        .values()
                        .append_value(format!("{tag}-{row}-{entry}"));
                }
            }
            builder.append(true).unwrap();
        }
        builder.finish()
    }

    #[test]
    fn vendor_fields_are_gathered_as_arrow_gathers_them() {
        let sources = [
            vendor_fields(40, "a"),
            vendor_fields(1, "b"),
            vendor_fields(25, "c").slice(3, 20),
        ];
        let maps: Vec<&MapArray> = sources.iter().collect();
        let DataType::Map(field, ordered) = maps[0].data_type() else {
            unreachable!("a map builder builds maps");
        };
        assert!(is_text_map(field));
        let indices: Vec<(usize, usize)> = (0..60)
            .map(|i| match i % 3 {
                0 => (0, (i * 7) % 40),
                1 => (1, 0),
                _ => (2, (i * 5) % 20),
            })
            .collect();

        let gathered = gather_text_map(&maps, field, *ordered, &indices).unwrap();

        let arrays: Vec<&dyn Array> = maps.iter().map(|m| *m as &dyn Array).collect();
        let expected = interleave(&arrays, &indices).unwrap();
        assert_eq!(gathered.as_map(), expected.as_map());
        assert!(gathered.null_count() > 0);
        assert!(gathered.as_map().values().null_count() > 0);
    }
}
