//! Rows of one table gathered from many record batches, written out in event-time order.
//!
//! A file's rows arrive scattered over the batches that held them: a batch of a syslog
//! stream or a Kafka fetch mixes every zone and day, and a compaction reads one batch
//! after another from files whose times overlap. [`TimeOrderedRows`] only notes where
//! each row is. Writing copies every row once, in time order, straight into the chunks
//! handed to the Parquet encoder. Taking each partition's rows out of its batches,
//! concatenating them and sorting the result copied every row three times, and held two
//! full copies of a flush at once: gathering once took a third off the peak memory of an
//! import.

use std::io::Write;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, DictionaryArray, Int32Array, RecordBatch};
use arrow::compute::{concat, interleave};
use arrow::datatypes::{DataType, Int32Type, SchemaRef, TimestampMicrosecondType};
use arrow::error::ArrowError;
use parquet::arrow::ArrowWriter;
use parquet::errors::ParquetError;
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

/// Rows of one table, referenced in the batches that hold them; see the
/// [module docs](self).
#[derive(Debug)]
pub(super) struct TimeOrderedRows {
    table: Table,
    schema: SchemaRef,
    time_column: usize,
    sources: Vec<RecordBatch>,
    rows: Vec<RowRef>,
}

impl TimeOrderedRows {
    /// No rows yet, for files of `table` (its [`Table::file_schema`]).
    pub(super) fn new(table: Table) -> Self {
        let schema = table.file_schema();
        let time_column = schema
            .index_of(col::TIME)
            .expect("every table has an event time");
        TimeOrderedRows {
            table,
            schema,
            time_column,
            sources: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// The file schema the rows are written in.
    pub(super) fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Which column the rows are ordered by.
    pub(super) fn time_column(&self) -> usize {
        self.time_column
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
    pub(super) fn append(&mut self, later: TimeOrderedRows) {
        debug_assert_eq!(self.table, later.table);
        let shift = u32::try_from(self.sources.len()).expect("fewer than 2^32 batches per file");
        self.rows.extend(later.rows.into_iter().map(|r| RowRef {
            source: r.source + shift,
            ..r
        }));
        self.sources.extend(later.sources);
    }

    /// Writes every row to `writer` in event-time order; rows of equal time keep the
    /// order they were added in. The rows stay, so a failed write can be tried again.
    pub(super) fn write_to<W: Write + Send>(
        &mut self,
        writer: &mut ArrowWriter<W>,
    ) -> Result<(), ParquetError> {
        if self.rows.is_empty() {
            return Ok(());
        }
        // Most input is nearly in order already, and the check is one pass.
        if !self.rows.is_sorted_by_key(|r| r.time) {
            self.rows
                .sort_unstable_by_key(|r| (r.time, r.source, r.row));
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
}

impl<'a> SourceColumn<'a> {
    fn new(
        sources: &'a [RecordBatch],
        index: usize,
        data_type: &DataType,
    ) -> Result<Self, ArrowError> {
        let arrays = sources.iter().map(|b| b.column(index).as_ref());
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
        }
    }
}
