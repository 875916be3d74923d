//! Arrow Flight SQL over the lake, so that DBeaver, ADBC/JDBC clients and Grafana's
//! Flight SQL data source query it directly, in Arrow, without a CSV or JSON detour.
//!
//! The surface is the one `sanso sql` has: the same read-only [`Lake`] session, the same
//! time and memory limits. Supported: queries (`CommandStatementQuery`), prepared
//! statements without parameters (what ADBC and JDBC use for every query; planned once
//! and kept until closed), and the catalog calls
//! clients make to list tables (`GetCatalogs`, `GetDbSchemas`, `GetTables`,
//! `GetTableTypes`, `GetSqlInfo`). Everything that would change data is refused.
//!
//! Every call must carry a configured token, either as `authorization: Bearer <token>`
//! (ADBC's `adbc.flight.sql.authorization_header`, JDBC's `token=`) or as HTTP Basic
//! credentials whose password is the token (JDBC and DBeaver's user and password fields).
//! A handshake answers with the bearer token to use on later calls. Without configured
//! tokens every call is refused.

use std::pin::Pin;
use std::sync::Arc;

use arrow::datatypes::{DataType, Schema, SchemaRef};
use arrow::ipc::writer::IpcWriteOptions;
use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::error::FlightError;
use arrow_flight::flight_service_server::{FlightService, FlightServiceServer};
use arrow_flight::sql::metadata::{SqlInfoData, SqlInfoDataBuilder};
use arrow_flight::sql::server::FlightSqlService;
use arrow_flight::sql::{
    ActionClosePreparedStatementRequest, ActionCreatePreparedStatementRequest,
    ActionCreatePreparedStatementResult, CommandGetCatalogs, CommandGetDbSchemas,
    CommandGetSqlInfo, CommandGetTableTypes, CommandGetTables, CommandPreparedStatementQuery,
    CommandStatementQuery, ProstMessageExt, SqlInfo, TicketStatementQuery,
};
use arrow_flight::{
    Action, FlightDescriptor, FlightEndpoint, FlightInfo, HandshakeRequest, HandshakeResponse,
    IpcMessage, SchemaAsIpc, Ticket,
};
use base64::Engine;
use base64::prelude::BASE64_STANDARD;
use datafusion::dataframe::DataFrame;
use futures::{Stream, StreamExt, TryStreamExt, stream};
use prost::Message;
use tokio::net::TcpListener;
use tonic::metadata::{MetadataMap, MetadataValue};
use tonic::service::Interceptor;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status, Streaming};

use crate::error::{QueryError, QueryFailure};
use crate::session::{Lake, plain_batch, plain_type, retyped};

mod prepared;

use prepared::{Prepared, PreparedStatements};

/// The catalog and schema DataFusion registers sanso's tables under.
const CATALOG: &str = "datafusion";
const SCHEMA: &str = "public";

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// Serves Flight SQL on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    lake: Arc<Lake>,
    tokens: Vec<String>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), tonic::transport::Error> {
    let service = FlightSqlServer::new(lake);
    let auth = TokenCheck {
        tokens: Arc::new(tokens),
    };
    // Without TCP_NODELAY, Nagle's algorithm holds a response's last small segment until
    // the client's delayed ACK (about 40 ms on Linux), twice per query (GetFlightInfo,
    // then DoGet): a fixed cost larger than most investigation queries.
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    tonic::transport::Server::builder()
        .add_service(FlightServiceServer::with_interceptor(service, auth))
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
}

/// Whether `presented` is one of `tokens`. Each candidate is compared in constant time,
/// so that response timing does not reveal how much of a guess was right.
pub fn token_accepted(tokens: &[String], presented: &str) -> bool {
    tokens.iter().fold(false, |ok, token| {
        ok | constant_time_eq(token.as_bytes(), presented.as_bytes())
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Refuses every call that does not carry a configured token.
#[derive(Clone)]
struct TokenCheck {
    tokens: Arc<Vec<String>>,
}

impl Interceptor for TokenCheck {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        if self.tokens.is_empty() {
            return Err(Status::permission_denied(
                "Flight SQL is closed: configure [http] tokens to open it",
            ));
        }
        let token = presented_token(request.metadata())?;
        if token_accepted(&self.tokens, &token) {
            Ok(request)
        } else {
            Err(Status::unauthenticated("unknown token"))
        }
    }
}

/// The token a call carries: a bearer token, or the password of Basic credentials.
#[allow(clippy::result_large_err)] // tonic's Status is what every handler returns.
fn presented_token(metadata: &MetadataMap) -> Result<String, Status> {
    let missing = || {
        Status::unauthenticated(
            "missing `authorization: Bearer <token>` (or Basic credentials with the token as password)",
        )
    };
    let header = metadata
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(missing)?;
    if let Some(token) = header.strip_prefix("Bearer ") {
        return Ok(token.to_owned());
    }
    let encoded = header.strip_prefix("Basic ").ok_or_else(missing)?;
    let decoded = BASE64_STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| Status::unauthenticated("malformed Basic credentials"))?;
    let (_user, password) = decoded
        .split_once(':')
        .ok_or_else(|| Status::unauthenticated("malformed Basic credentials"))?;
    Ok(password.to_owned())
}

/// The Flight SQL service over one lake session.
pub struct FlightSqlServer {
    lake: Arc<Lake>,
    sql_info: SqlInfoData,
    prepared: PreparedStatements,
}

impl FlightSqlServer {
    /// A service answering from `lake`; put it behind a token check (see [`serve`]).
    pub fn new(lake: Arc<Lake>) -> Self {
        let mut info = SqlInfoDataBuilder::new();
        info.append(SqlInfo::FlightSqlServerName, "sanso");
        info.append(SqlInfo::FlightSqlServerVersion, env!("CARGO_PKG_VERSION"));
        info.append(SqlInfo::FlightSqlServerArrowVersion, "1.3");
        info.append(SqlInfo::FlightSqlServerReadOnly, true);
        info.append(SqlInfo::FlightSqlServerSql, true);
        info.append(SqlInfo::FlightSqlServerSubstrait, false);
        info.append(SqlInfo::FlightSqlServerTransaction, 0i32);
        info.append(SqlInfo::FlightSqlServerCancel, false);
        info.append(SqlInfo::SqlIdentifierQuoteChar, "\"");
        FlightSqlServer {
            lake,
            sql_info: info.build().expect("the server's SQL info is well-formed"),
            prepared: PreparedStatements::default(),
        }
    }

    /// Plans `query` and returns the schema its results are sent in.
    async fn result_schema(&self, query: &str) -> Result<SchemaRef, Status> {
        let frame = self.lake.plan(query).await.map_err(query_status)?;
        Ok(wire_schema(frame.schema().as_arrow()))
    }

    /// A flight whose one endpoint's ticket is `ticket`, with the schema `schema`.
    fn flight_info(
        schema: &Schema,
        ticket: impl ProstMessageExt,
        descriptor: FlightDescriptor,
    ) -> Result<Response<FlightInfo>, Status> {
        let endpoint =
            FlightEndpoint::new().with_ticket(Ticket::new(ticket.as_any().encode_to_vec()));
        let info = FlightInfo::new()
            .try_with_schema(schema)
            .map_err(|e| Status::internal(format!("encoding the result schema: {e}")))?
            .with_endpoint(endpoint)
            .with_descriptor(descriptor);
        Ok(Response::new(info))
    }

    /// Runs `frame` and streams its results, ending the stream with an error once the
    /// query time limit has passed.
    async fn run(
        &self,
        frame: DataFrame,
    ) -> Result<Response<BoxStream<arrow_flight::FlightData>>, Status> {
        let limits = self.lake.limits();
        let deadline = tokio::time::Instant::now() + limits.timeout;
        let schema = wire_schema(frame.schema().as_arrow());
        let batches = tokio::time::timeout_at(deadline, self.lake.execute(frame))
            .await
            .map_err(|_| {
                query_status(QueryError::Timeout {
                    limit: limits.timeout,
                })
            })?
            .map_err(query_status)?;
        // The query runs in a task of its own that the deadline ends, whether or not the
        // client is reading: a client that stops reading must not keep the query, and
        // the memory it holds, past its limit. A client that hangs up ends it at once. A
        // batch that is ready after the deadline is not sent either.
        let timeout = limits.timeout;
        let timed_out = move || {
            FlightError::Tonic(Box::new(query_status(QueryError::Timeout {
                limit: timeout,
            })))
        };
        let (sender, receiver) = tokio::sync::mpsc::channel(2);
        tokio::spawn(async move {
            let mut batches = batches;
            let run = async {
                while let Some(batch) = batches.next().await {
                    let batch =
                        batch.map_err(|e| FlightError::Tonic(Box::new(query_status(e.into()))));
                    if sender.send(batch).await.is_err() {
                        return;
                    }
                }
            };
            tokio::select! {
                () = sender.closed() => {}
                ran = tokio::time::timeout_at(deadline, run) => {
                    if ran.is_err() {
                        // A client that is not reading finds the limit at its next read.
                        let _ = sender.try_send(Err(timed_out()));
                    }
                }
            }
        });
        let batches = stream::unfold(Some(receiver), move |state| async move {
            let mut receiver = state?;
            if tokio::time::Instant::now() >= deadline {
                return Some((Err(timed_out()), None));
            }
            match receiver.recv().await? {
                Ok(batch) => Some((
                    plain_batch(batch).map_err(FlightError::Arrow),
                    Some(receiver),
                )),
                Err(e) => Some((Err(e), None)),
            }
        });
        let flight = FlightDataEncoderBuilder::new()
            .with_schema(schema)
            .build(batches)
            .map_err(Status::from);
        Ok(Response::new(Box::pin(flight)))
    }

    /// Encodes one finished metadata batch as a flight stream.
    fn send(
        schema: SchemaRef,
        batch: Result<arrow::array::RecordBatch, FlightError>,
    ) -> Response<BoxStream<arrow_flight::FlightData>> {
        let stream = FlightDataEncoderBuilder::new()
            .with_schema(schema)
            .build(stream::once(async move { batch }))
            .map_err(Status::from);
        Response::new(Box::pin(stream))
    }
}

/// The schema results are sent in: dictionary-encoded columns go out as plain values
/// (the encoder's default), which every client reads.
fn wire_schema(schema: &Schema) -> SchemaRef {
    retyped(schema, |f| match f.data_type() {
        DataType::Dictionary(_, values) => plain_type(values),
        other => plain_type(other),
    })
}

fn query_status(err: QueryError) -> Status {
    let message = err.to_string();
    match err.failure() {
        QueryFailure::Rejected => Status::invalid_argument(message),
        QueryFailure::Timeout => Status::deadline_exceeded(message),
        QueryFailure::OutOfMemory => Status::resource_exhausted(message),
        QueryFailure::Server => Status::internal(message),
    }
}

fn utf8(bytes: &[u8], what: &str) -> Result<String, Status> {
    String::from_utf8(bytes.to_vec())
        .map_err(|_| Status::invalid_argument(format!("{what} is not UTF-8")))
}

#[tonic::async_trait]
impl FlightSqlService for FlightSqlServer {
    type FlightService = FlightSqlServer;

    async fn do_handshake(
        &self,
        request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<Response<BoxStream<HandshakeResponse>>, Status> {
        // The interceptor has accepted the token already; hand it back as the bearer
        // token later calls carry.
        let token = presented_token(request.metadata())?;
        let bearer = MetadataValue::try_from(format!("Bearer {token}"))
            .map_err(|_| Status::invalid_argument("the token is not a valid header value"))?;
        let reply = HandshakeResponse {
            protocol_version: 0,
            payload: token.into_bytes().into(),
        };
        let mut response: Response<BoxStream<HandshakeResponse>> =
            Response::new(Box::pin(stream::once(async { Ok(reply) })));
        response.metadata_mut().insert("authorization", bearer);
        Ok(response)
    }

    async fn get_flight_info_statement(
        &self,
        query: CommandStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = self.result_schema(&query.query).await?;
        let ticket = TicketStatementQuery {
            statement_handle: query.query.into_bytes().into(),
        };
        Self::flight_info(&schema, ticket, request.into_inner())
    }

    async fn get_flight_info_prepared_statement(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = self
            .prepared
            .get(&query.prepared_statement_handle)?
            .schema
            .clone();
        Self::flight_info(&schema, query, request.into_inner())
    }

    async fn get_flight_info_catalogs(
        &self,
        query: CommandGetCatalogs,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.into_builder().schema();
        Self::flight_info(&schema, query, request.into_inner())
    }

    async fn get_flight_info_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.clone().into_builder().schema();
        Self::flight_info(&schema, query, request.into_inner())
    }

    async fn get_flight_info_tables(
        &self,
        query: CommandGetTables,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.clone().into_builder().schema();
        Self::flight_info(&schema, query, request.into_inner())
    }

    async fn get_flight_info_table_types(
        &self,
        query: CommandGetTableTypes,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.into_builder().schema();
        Self::flight_info(&schema, query, request.into_inner())
    }

    async fn get_flight_info_sql_info(
        &self,
        query: CommandGetSqlInfo,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.clone().into_builder(&self.sql_info).schema();
        Self::flight_info(&schema, query, request.into_inner())
    }

    async fn do_get_statement(
        &self,
        ticket: TicketStatementQuery,
        _request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let sql = utf8(&ticket.statement_handle, "the statement handle")?;
        let frame = self.lake.plan(&sql).await.map_err(query_status)?;
        self.run(frame).await
    }

    async fn do_get_prepared_statement(
        &self,
        query: CommandPreparedStatementQuery,
        _request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let prepared = self.prepared.get(&query.prepared_statement_handle)?;
        self.run(self.lake.frame(prepared.plan.clone())).await
    }

    async fn do_get_catalogs(
        &self,
        query: CommandGetCatalogs,
        _request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let mut builder = query.into_builder();
        builder.append(CATALOG);
        Ok(Self::send(builder.schema(), builder.build()))
    }

    async fn do_get_schemas(
        &self,
        query: CommandGetDbSchemas,
        _request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let mut builder = query.into_builder();
        builder.append(CATALOG, SCHEMA);
        Ok(Self::send(builder.schema(), builder.build()))
    }

    async fn do_get_tables(
        &self,
        query: CommandGetTables,
        _request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let mut builder = query.into_builder();
        let schema = self
            .lake
            .context()
            .catalog(CATALOG)
            .and_then(|c| c.schema(SCHEMA))
            .ok_or_else(|| Status::internal("the lake's schema is not registered"))?;
        let mut names = schema.table_names();
        names.sort();
        for name in names {
            let table = schema
                .table(&name)
                .await
                .map_err(|e| Status::internal(e.to_string()))?
                .ok_or_else(|| Status::internal(format!("table {name} vanished")))?;
            builder
                .append(
                    CATALOG,
                    SCHEMA,
                    &name,
                    "TABLE",
                    &wire_schema(&table.schema()),
                )
                .map_err(|e| Status::internal(e.to_string()))?;
        }
        Ok(Self::send(builder.schema(), builder.build()))
    }

    async fn do_get_table_types(
        &self,
        query: CommandGetTableTypes,
        _request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let mut builder = query.into_builder();
        builder.append("TABLE");
        Ok(Self::send(builder.schema(), builder.build()))
    }

    async fn do_get_sql_info(
        &self,
        query: CommandGetSqlInfo,
        _request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let builder = query.into_builder(&self.sql_info);
        Ok(Self::send(builder.schema(), builder.build()))
    }

    async fn do_action_create_prepared_statement(
        &self,
        query: ActionCreatePreparedStatementRequest,
        _request: Request<Action>,
    ) -> Result<ActionCreatePreparedStatementResult, Status> {
        // Planning checks the statement now, so that a forbidden one fails at prepare
        // time; the plan is kept for the calls that follow.
        let frame = self.lake.plan(&query.query).await.map_err(query_status)?;
        let schema = wire_schema(frame.schema().as_arrow());
        let IpcMessage(dataset_schema) = SchemaAsIpc::new(&schema, &IpcWriteOptions::default())
            .try_into()
            .map_err(|e: arrow::error::ArrowError| Status::internal(e.to_string()))?;
        let prepared_statement_handle = self.prepared.insert(Prepared {
            plan: frame.into_unoptimized_plan(),
            schema,
        });
        Ok(ActionCreatePreparedStatementResult {
            prepared_statement_handle,
            dataset_schema,
            parameter_schema: Default::default(),
        })
    }

    async fn do_action_close_prepared_statement(
        &self,
        query: ActionClosePreparedStatementRequest,
        _request: Request<Action>,
    ) -> Result<(), Status> {
        self.prepared.close(&query.prepared_statement_handle);
        Ok(())
    }

    async fn register_sql_info(&self, _id: i32, _result: &SqlInfo) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_authorization(value: &str) -> MetadataMap {
        let mut metadata = MetadataMap::new();
        metadata.insert("authorization", value.parse().unwrap());
        metadata
    }

    #[test]
    fn bearer_and_basic_credentials_carry_the_token() {
        assert_eq!(
            presented_token(&with_authorization("Bearer s3cret")).unwrap(),
            "s3cret"
        );
        // "analyst:s3cret" in base64.
        assert_eq!(
            presented_token(&with_authorization("Basic YW5hbHlzdDpzM2NyZXQ=")).unwrap(),
            "s3cret"
        );
        for refused in ["Basic !!!", "Basic YW5hbHlzdA==", "Token s3cret"] {
            assert_eq!(
                presented_token(&with_authorization(refused))
                    .unwrap_err()
                    .code(),
                tonic::Code::Unauthenticated,
                "{refused}"
            );
        }
        assert!(presented_token(&MetadataMap::new()).is_err());
    }

    #[test]
    fn only_configured_tokens_are_accepted() {
        let tokens = vec!["s3cret".to_owned()];
        assert!(token_accepted(&tokens, "s3cret"));
        assert!(!token_accepted(&tokens, "s3cre"));
        assert!(!token_accepted(&tokens, "s3cret "));
        assert!(!token_accepted(&[], "s3cret"));
    }
}
