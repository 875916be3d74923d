//! SQL over the lake through DataFusion.
//!
//! [`Lake::open`] registers one listing table per sanso table, each reading the Parquet
//! files below `<lake>/<table>/` with `date` and `zone` as hive partition columns. The
//! table schemas are sanso's own ([`Table::file_schema`]), not inferred from files, so an
//! empty lake is queryable and a file from another writer cannot change a table's shape.
//! Filters on `date` and `zone` prune folders, and filters on other columns are pushed
//! into the Parquet scan, where row-group statistics and bloom filters skip data. Text
//! columns other than `raw` are scanned as string views, so that a filter drops rows
//! before their strings are copied; results are handed out with plain strings. A lake
//! in an object store ([`LakeLocation::ObjectStore`]) is read the same way, through the
//! store registered for its bucket.
//!
//! The surface is read-only: statements that would create, change or drop anything are
//! refused at planning.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use arrow::array::RecordBatch;
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::error::ArrowError;
use datafusion::common::utils::get_available_parallelism;
use datafusion::dataframe::DataFrame;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::error::DataFusionError;
use datafusion::execution::cache::cache_manager::CacheManagerConfig;
use datafusion::execution::context::{SQLOptions, SessionConfig, SessionContext};
use datafusion::execution::memory_pool::MemoryConsumer;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::execute_stream;
use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::Statement as SqlStatement;
use futures::TryStreamExt;
use sanso_ingest::schema::{Table, col};
use sanso_ingest::zones::ZoneMap;

use crate::error::{LakeError, QueryError};
use crate::incidents::{IncidentStore, IncidentTable, IncidentTableProvider};
use crate::lake::{CompactionAwareStore, FILE_EXTENSION, LakeLocation, LocalLakeStore, table_dir};
use crate::{functions, rewrite};

/// The partition columns every table gets from the folder layout.
pub const PARTITION_COLUMNS: [&str; 2] = ["date", "zone"];

/// Bounds on what one query may use, so that one analyst's query cannot starve ingest
/// or everyone else's.
#[derive(Debug, Clone, Copy)]
pub struct QueryLimits {
    /// A query running longer is cancelled.
    pub timeout: Duration,
    /// Memory the session's operators may hold; a query that needs more fails with a
    /// "resources exhausted" error instead of taking the machine down.
    pub memory_bytes: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        QueryLimits {
            timeout: Duration::from_secs(300),
            memory_bytes: 2 << 30,
        }
    }
}

/// The schema a table is scanned in: its text columns as string views, except `raw`.
///
/// A Parquet page of text decodes to views without copying a string; a filter then
/// keeps the views of the rows that pass, and only those are copied, where a plain
/// string column would have copied every row of the batch first. On the investigation
/// queries this took a quarter off grouping proxy blocks by host and a sixth off port-scan
/// buckets (`benches/RESULTS.md`). `raw` stays plain: it is only ever returned, and its
/// long strings as views made a one-address lookup half again as slow. Results are
/// handed out with plain strings again ([`plain_batch`]).
fn scan_schema(schema: &Schema) -> SchemaRef {
    retyped(schema, |f| match f.data_type() {
        DataType::Utf8 if f.name() != col::RAW => DataType::Utf8View,
        other => other.clone(),
    })
}

/// `schema` with each field's type replaced by `new_type` of the field.
pub fn retyped(schema: &Schema, new_type: impl Fn(&Field) -> DataType) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| f.as_ref().clone().with_data_type(new_type(f)))
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// The type a result column is handed out in: string views as plain strings, which every
/// client and caller reads.
pub fn plain_type(data_type: &DataType) -> DataType {
    match data_type {
        DataType::Utf8View => DataType::Utf8,
        DataType::BinaryView => DataType::Binary,
        other => other.clone(),
    }
}

/// `batch` with its string views cast to plain strings (see [`plain_type`]).
pub fn plain_batch(batch: RecordBatch) -> Result<RecordBatch, ArrowError> {
    if !batch
        .schema()
        .fields()
        .iter()
        .any(|f| plain_type(f.data_type()) != *f.data_type())
    {
        return Ok(batch);
    }
    let schema = plain_schema(&batch.schema());
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(column, field)| cast(column, field.data_type()))
        .collect::<Result<Vec<_>, _>>()?;
    RecordBatch::try_new(schema, columns)
}

/// `schema` with [`plain_type`] applied to every field.
pub fn plain_schema(schema: &Schema) -> SchemaRef {
    retyped(schema, |f| plain_type(f.data_type()))
}

/// How many partitions a query's plan splits its work into, for each core.
///
/// DataFusion's default is one per core. A worker that finishes its partition early
/// then waits for the slowest, and each aggregation's hash table is as large as a
/// core's share of the groups. Four per core keep both cores busy to the end and the
/// tables small enough for the caches: on the 50 M-event benchmark lake the port scan
/// query ran a fifth faster with less CPU, and the one-address lookup a third faster
/// (`benches/RESULTS.md`).
const PARTITIONS_PER_CORE: usize = 4;

/// The partitions of a query plan on this machine (see [`PARTITIONS_PER_CORE`]), counting
/// cores as DataFusion does for its own default.
fn partitions() -> usize {
    get_available_parallelism() * PARTITIONS_PER_CORE
}

/// Whether `statement` only reads: a query, or a look at a query's plan, a table's
/// columns, the catalogue or a setting. Anything else is refused before it is planned.
fn only_reads(statement: &DFStatement) -> bool {
    match statement {
        DFStatement::Statement(statement) => sql_only_reads(statement),
        DFStatement::Explain(explain) => only_reads(&explain.statement),
        DFStatement::CreateExternalTable(_) | DFStatement::CopyTo(_) | DFStatement::Reset(_) => {
            false
        }
    }
}

/// [`only_reads`] for the statements of standard SQL.
fn sql_only_reads(statement: &SqlStatement) -> bool {
    match statement {
        SqlStatement::Explain { statement, .. } => sql_only_reads(statement),
        SqlStatement::Query(_)
        | SqlStatement::ExplainTable { .. }
        | SqlStatement::ShowTables { .. }
        | SqlStatement::ShowColumns { .. }
        | SqlStatement::ShowFunctions { .. }
        | SqlStatement::ShowCreate { .. }
        | SqlStatement::ShowVariable { .. }
        | SqlStatement::ShowVariables { .. }
        | SqlStatement::ShowSchemas { .. }
        | SqlStatement::ShowDatabases { .. }
        | SqlStatement::ShowCatalogs { .. }
        | SqlStatement::ShowViews { .. }
        | SqlStatement::ShowObjects(_)
        | SqlStatement::ShowStatus { .. }
        | SqlStatement::ShowCollation { .. }
        | SqlStatement::ShowCharset(_) => true,
        _ => false,
    }
}

/// An opened lake: a DataFusion session with every table registered.
pub struct Lake {
    location: LakeLocation,
    ctx: SessionContext,
    /// What every query runs with: the session's settings, functions and runtime.
    ///
    /// DataFusion builds one per query from the session, copying every function
    /// registry, about 2 % of a query over an empty table. Nothing on the read-only
    /// surface can register a function or change a setting once the lake is open, so
    /// one serves every query.
    task: Arc<TaskContext>,
    limits: QueryLimits,
}

impl Lake {
    /// Opens the lake at `root` (a folder, or a [`LakeLocation`]), creating a local
    /// lake's table folders if they are missing; `zone_of(ip)` answers from `zones`.
    pub async fn open(
        root: impl Into<LakeLocation>,
        zones: Arc<ZoneMap>,
    ) -> Result<Self, QueryError> {
        Lake::open_with_limits(root, zones, QueryLimits::default()).await
    }

    /// [`Lake::open`] with explicit query limits.
    pub async fn open_with_limits(
        root: impl Into<LakeLocation>,
        zones: Arc<ZoneMap>,
        limits: QueryLimits,
    ) -> Result<Self, QueryError> {
        let location = match root.into() {
            LakeLocation::Local(root) => {
                std::fs::create_dir_all(&root).map_err(LakeError::io(&root))?;
                LakeLocation::Local(root.canonicalize().map_err(LakeError::io(&root))?)
            }
            remote @ LakeLocation::ObjectStore(_) => remote,
        };
        let mut config = SessionConfig::new()
            .with_information_schema(true)
            .with_target_partitions(partitions());
        let parquet = &mut config.options_mut().execution.parquet;
        parquet.pushdown_filters = true;
        parquet.reorder_filters = true;
        // The lake grows while it is queried; a cached file listing would hide new files.
        // Parquet footers may still be cached: a file never changes once it is visible.
        let runtime = RuntimeEnvBuilder::new()
            .with_cache_manager(CacheManagerConfig::default().with_list_files_cache_limit(0))
            .with_memory_limit(limits.memory_bytes, 1.0)
            .build_arc()?;
        // Every listing goes through the compaction-aware store, so that a query never
        // sees both a compaction's output and the files it replaces.
        match &location {
            LakeLocation::Local(_) => runtime.register_object_store(
                ObjectStoreUrl::local_filesystem().as_ref(),
                Arc::new(CompactionAwareStore::new(Arc::new(LocalLakeStore::new()))),
            ),
            LakeLocation::ObjectStore(remote) => runtime.register_object_store(
                remote.store_url()?.as_ref(),
                Arc::new(CompactionAwareStore::new(remote.connect()?)),
            ),
        };
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_runtime_env(runtime)
            .with_default_features()
            .with_physical_optimizer_rules(rewrite::physical_rules());
        let ctx = SessionContext::new_with_state(state.build());
        functions::register(&ctx, zones);
        rewrite::register(&ctx);
        for table in Table::ALL {
            let url = match &location {
                LakeLocation::Local(root) => {
                    let dir = table_dir(root, table);
                    std::fs::create_dir_all(&dir).map_err(LakeError::io(&dir))?;
                    ListingTableUrl::parse(format!("{}/", dir.display()))?
                }
                LakeLocation::ObjectStore(remote) => {
                    ListingTableUrl::parse(remote.table_url(table))?
                }
            };
            let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
                .with_file_extension(FILE_EXTENSION)
                .with_table_partition_cols(
                    PARTITION_COLUMNS
                        .iter()
                        .map(|c| (c.to_string(), DataType::Utf8))
                        .collect(),
                );
            let config = ListingTableConfig::new(url)
                .with_listing_options(options)
                .with_schema(scan_schema(&table.file_schema()));
            // Statistics are gathered from every file's footer at planning; cached per
            // file, they are read once per session instead of at every query.
            let listing = ListingTable::try_new(config)?
                .with_cache(ctx.runtime_env().cache_manager.get_file_statistic_cache());
            ctx.register_table(table.name(), Arc::new(listing))?;
        }
        // The incident log lives beside the lake, or in the local state folder of an
        // object-store lake; its tables are read from it at every scan.
        let incidents = IncidentStore::new(location.state_dir());
        for table in IncidentTable::ALL {
            ctx.register_table(
                table.name(),
                Arc::new(IncidentTableProvider::new(incidents.clone(), table)),
            )?;
        }
        Ok(Lake {
            location,
            task: ctx.task_ctx(),
            ctx,
            limits,
        })
    }

    /// The lake's local folder: the lake itself, or the local state folder of a lake
    /// in an object store ([`LakeLocation::state_dir`]).
    pub fn root(&self) -> &Path {
        self.location.state_dir()
    }

    /// Where the lake is.
    pub fn location(&self) -> &LakeLocation {
        &self.location
    }

    /// The schema of `table` as query results show it: its columns, then the partition
    /// columns.
    pub fn table_schema(&self, table: Table) -> SchemaRef {
        let mut fields: Vec<_> = table.file_schema().fields().iter().cloned().collect();
        fields.extend(
            PARTITION_COLUMNS
                .iter()
                .map(|c| Arc::new(arrow::datatypes::Field::new(*c, DataType::Utf8, false))),
        );
        Arc::new(arrow::datatypes::Schema::new(fields))
    }

    /// The limits every query runs under.
    pub fn limits(&self) -> QueryLimits {
        self.limits
    }

    /// Plans one SQL query on the read-only surface, without running it; for callers
    /// that stream results (Flight SQL) and apply [`Lake::limits`] themselves.
    pub async fn plan(&self, query: &str) -> Result<DataFrame, QueryError> {
        tokio::time::timeout(self.limits.timeout, self.plan_read_only(query))
            .await
            .map_err(|_| QueryError::Timeout {
                limit: self.limits.timeout,
            })?
    }

    /// A fresh run of `plan`, which [`Lake::plan`] made earlier: its files are listed
    /// again when it runs, and `now()` is the time of this call.
    pub fn frame(&self, plan: LogicalPlan) -> DataFrame {
        DataFrame::new(self.ctx.state(), plan)
    }

    /// `SessionContext::sql_with_options` takes two copies of the session, one to plan
    /// with and one for the frame; each copies every function registry, about 3 % of a
    /// query over an empty table. A read-only query needs neither DDL nor statements
    /// handled, so one copy does both.
    ///
    /// Two checks keep the surface read-only. The statement as parsed must be one that
    /// only reads ([`only_reads`]), so that a statement DataFusion learns to plan later
    /// is refused until it is known to read; and the plan must hold no DDL, DML or
    /// session statement, which catches a query that plans into a write
    /// (`SELECT … INTO`).
    async fn plan_read_only(&self, query: &str) -> Result<DataFrame, QueryError> {
        let state = self.ctx.state();
        let dialect = state.config().options().sql_parser.dialect;
        let statement = state
            .sql_to_statement(query, &dialect)
            .map_err(QueryError::from_parse)?;
        if !only_reads(&statement) {
            return Err(QueryError::ReadOnly);
        }
        let plan = state.statement_to_plan(statement).await?;
        SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false)
            .verify_plan(&plan)
            .map_err(|_| QueryError::ReadOnly)?;
        Ok(DataFrame::new(state, plan))
    }

    /// Starts running `frame`, from [`Lake::plan`] or [`Lake::frame`], and streams its
    /// batches. The session's memory limit applies; the time limit is the caller's, as
    /// for [`Lake::plan`].
    pub async fn execute(&self, frame: DataFrame) -> Result<SendableRecordBatchStream, QueryError> {
        let plan = frame.create_physical_plan().await?;
        Ok(execute_stream(plan, Arc::clone(&self.task))?)
    }

    /// The DataFusion session, for callers that build plans themselves.
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// Runs one read-only SQL query and collects its result, within the time limit.
    ///
    /// The result counts against the memory limit while it is collected, like the
    /// query's own work, so that `SELECT *` over a year of the lake fails with the
    /// limit's error instead of growing the process until the kernel ends it, and ingest
    /// with it. The reservation ends when the result is handed back: the caller's output
    /// (the shell's table, an HTTP response) is not counted.
    pub async fn sql(&self, query: &str) -> Result<(SchemaRef, Vec<RecordBatch>), QueryError> {
        let run = async {
            let frame = self.plan_read_only(query).await?;
            let schema = plain_schema(frame.schema().as_arrow());
            let result = MemoryConsumer::new("query result").register(self.task.memory_pool());
            let mut stream = self.execute(frame).await?;
            let mut batches = Vec::new();
            while let Some(batch) = stream.try_next().await? {
                let batch = plain_batch(batch).map_err(DataFusionError::from)?;
                result.try_grow(batch.get_array_memory_size())?;
                batches.push(batch);
            }
            Ok((schema, batches))
        };
        // Dropping the query's future cancels its streams, and with them its work.
        tokio::time::timeout(self.limits.timeout, run)
            .await
            .map_err(|_| QueryError::Timeout {
                limit: self.limits.timeout,
            })?
    }
}
