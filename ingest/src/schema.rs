//! The canonical Arrow schemas of sanso's tables, defined once.
//!
//! Column names follow OCSF attributes (Network Activity 4001, HTTP Activity 4002,
//! Authentication 3002), flattened with underscores. Every event table starts with the
//! same [common columns](common_fields); low-cardinality strings are dictionary-encoded
//! (`Dictionary(Int32, Utf8)`) so that both the Parquet files and the detection kernels
//! compare small integer keys instead of strings. Timestamps are UTC microseconds.
//!
//! The lake stores `zone` as a hive partition (`zone=<zone>/` in the path) rather than
//! inside the files; [`Table::file_schema`] is the schema of the files and
//! [`Table::schema`] the one a query sees.

use std::sync::{Arc, LazyLock};

use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};

/// Column names shared by more than one table, so that parsers, rules and queries agree
/// on spelling.
pub mod col {
    /// Event time as the device reported it, UTC microseconds.
    pub const TIME: &str = "time";
    /// When sanso received the line, UTC microseconds.
    pub const RECEIVED_AT: &str = "received_at";
    /// Zone of the device that reported the event.
    pub const ZONE: &str = "zone";
    /// Host name of the reporting device.
    pub const DEVICE: &str = "device";
    /// Parser that accepted the line, e.g. `iptables`.
    pub const FORMAT: &str = "format";
    /// Where the line came from: `syslog:tcp:5514`, `file:/var/log/x:17`, ...
    pub const SOURCE: &str = "source";
    /// The original line as text, kept as evidence.
    pub const RAW: &str = "raw";
    /// The original bytes, present only when they are not the UTF-8 of `raw`.
    pub const RAW_BYTES: &str = "raw_bytes";
    /// Source address.
    pub const SRC_IP: &str = "src_ip";
    /// Zone of the source address.
    pub const SRC_ZONE: &str = "src_zone";
    /// Destination address.
    pub const DST_IP: &str = "dst_ip";
    /// Zone of the destination address.
    pub const DST_ZONE: &str = "dst_zone";
    /// User name.
    pub const USER: &str = "user";
    /// Outcome of an action (allow / deny / block ...).
    pub const ACTION: &str = "action";
    /// Outcome of an authentication (success / failure ...).
    pub const OUTCOME: &str = "outcome";
    /// What a mail gateway did with a message (delivered / rejected / quarantined ...).
    pub const DISPOSITION: &str = "disposition";
    /// Fields the device logged that have no column of their own, as a map.
    pub const EXTRA: &str = "extra";
}

/// A table of the lake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    /// Firewall and NGFW events.
    Network,
    /// Web proxy events.
    Http,
    /// Authentication events.
    Auth,
    /// Messages handled by mail gateways.
    Mail,
    /// Lines no parser accepted, with the reason.
    Unparsed,
    /// Alerts raised by the detection engine.
    Alerts,
}

impl Table {
    /// Every table, in a stable order.
    pub const ALL: [Table; 6] = [
        Table::Network,
        Table::Http,
        Table::Auth,
        Table::Mail,
        Table::Unparsed,
        Table::Alerts,
    ];

    /// The tables that hold ingested lines; each line lands in exactly one of them.
    pub const EVENT_TABLES: [Table; 5] = [
        Table::Network,
        Table::Http,
        Table::Auth,
        Table::Mail,
        Table::Unparsed,
    ];

    /// The table's SQL name, also its folder in the lake.
    pub fn name(self) -> &'static str {
        match self {
            Table::Network => "network",
            Table::Http => "http",
            Table::Auth => "auth",
            Table::Mail => "mail",
            Table::Unparsed => "unparsed",
            Table::Alerts => "alerts",
        }
    }

    /// Looks a table up by its SQL name.
    pub fn from_name(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The full schema, `zone` included, as record batches carry it.
    pub fn schema(self) -> SchemaRef {
        match self {
            Table::Network => NETWORK.clone(),
            Table::Http => HTTP.clone(),
            Table::Auth => AUTH.clone(),
            Table::Mail => MAIL.clone(),
            Table::Unparsed => UNPARSED.clone(),
            Table::Alerts => ALERTS.clone(),
        }
    }

    /// The schema of the Parquet files: [`Table::schema`] without `zone`, which the
    /// lake keeps in the partition path.
    pub fn file_schema(self) -> SchemaRef {
        let schema = self.schema();
        let fields: Vec<_> = schema
            .fields()
            .iter()
            .filter(|f| f.name() != col::ZONE)
            .cloned()
            .collect();
        Arc::new(Schema::new(fields))
    }
}

impl std::fmt::Display for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// UTC timestamp with microsecond precision.
pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// Dictionary-encoded string, for columns with few distinct values.
pub fn dictionary_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// `Map<Utf8, Utf8>`: vendor fields without a column of their own, queryable as
/// `extra['devname']`, so that nothing a device said is lost.
pub fn extra_type() -> DataType {
    let entries = Field::new(
        "entries",
        DataType::Struct(Fields::from(vec![
            Field::new("keys", DataType::Utf8, false),
            Field::new("values", DataType::Utf8, true),
        ])),
        false,
    );
    DataType::Map(Arc::new(entries), false)
}

/// `List<Utf8>`, for values a row has any number of (mail recipients, attachments);
/// queryable with `array_has(recipients, 'a@example.jp')` and `unnest`.
pub fn text_list_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)))
}

fn extra() -> Field {
    Field::new(col::EXTRA, extra_type(), true)
}

fn dict(name: &str) -> Field {
    Field::new(name, dictionary_type(), true)
}

fn text(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
}

/// The columns every event table starts with, in order.
pub fn common_fields() -> Vec<Field> {
    vec![
        Field::new(col::TIME, timestamp_type(), false),
        Field::new(col::RECEIVED_AT, timestamp_type(), false),
        dict(col::ZONE),
        dict(col::DEVICE),
        dict(col::FORMAT),
        Field::new(col::SOURCE, DataType::Utf8, false),
        Field::new(col::RAW, DataType::Utf8, false),
        Field::new(col::RAW_BYTES, DataType::Binary, true),
    ]
}

fn with_common(specific: Vec<Field>) -> SchemaRef {
    let mut fields = common_fields();
    fields.extend(specific);
    Arc::new(Schema::new(fields))
}

static NETWORK: LazyLock<SchemaRef> = LazyLock::new(|| {
    with_common(vec![
        text(col::SRC_IP),
        Field::new("src_port", DataType::UInt16, true),
        dict(col::SRC_ZONE),
        text(col::DST_IP),
        Field::new("dst_port", DataType::UInt16, true),
        dict(col::DST_ZONE),
        dict("protocol"),
        dict(col::ACTION),
        dict("rule"),
        Field::new("bytes_in", DataType::UInt64, true),
        Field::new("bytes_out", DataType::UInt64, true),
        Field::new("packets", DataType::UInt64, true),
        Field::new("duration_ms", DataType::UInt64, true),
        dict("src_intf"),
        dict("dst_intf"),
        dict("app"),
        text("threat_name"),
        dict("threat_severity"),
        text("nat_src_ip"),
        Field::new("nat_src_port", DataType::UInt16, true),
        text("nat_dst_ip"),
        Field::new("nat_dst_port", DataType::UInt16, true),
        extra(),
    ])
});

static HTTP: LazyLock<SchemaRef> = LazyLock::new(|| {
    with_common(vec![
        text(col::SRC_IP),
        dict(col::SRC_ZONE),
        text(col::USER),
        dict("method"),
        text("url"),
        text("url_host"),
        text("url_path"),
        Field::new("status", DataType::UInt16, true),
        Field::new("bytes_in", DataType::UInt64, true),
        Field::new("bytes_out", DataType::UInt64, true),
        dict("content_type"),
        text("user_agent"),
        dict("category"),
        dict(col::ACTION),
        text("reason"),
        Field::new("duration_ms", DataType::UInt64, true),
        text(col::DST_IP),
        dict("cache_result"),
        extra(),
    ])
});

static AUTH: LazyLock<SchemaRef> = LazyLock::new(|| {
    with_common(vec![
        text(col::USER),
        dict("user_domain"),
        text(col::SRC_IP),
        dict(col::SRC_ZONE),
        text("src_host"),
        text("dst_host"),
        dict("protocol"),
        dict("logon_type"),
        dict("activity"),
        dict(col::OUTCOME),
        text("reason"),
        Field::new("event_code", DataType::Int32, true),
        Field::new("is_mfa", DataType::Boolean, true),
        Field::new("is_privileged", DataType::Boolean, true),
        extra(),
    ])
});

static MAIL: LazyLock<SchemaRef> = LazyLock::new(|| {
    with_common(vec![
        text(col::SRC_IP),
        dict(col::SRC_ZONE),
        text(col::DST_IP),
        dict(col::DST_ZONE),
        text("sender"),
        Field::new("recipients", text_list_type(), true),
        Field::new("size", DataType::UInt64, true),
        Field::new("attachments", text_list_type(), true),
        text("message_id"),
        dict("rule"),
        dict(col::DISPOSITION),
        extra(),
    ])
});

static UNPARSED: LazyLock<SchemaRef> = LazyLock::new(|| {
    with_common(vec![
        Field::new("error", DataType::Utf8, false),
        dict("format_guess"),
    ])
});

static ALERTS: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new("alert_id", DataType::Utf8, false),
        dict("rule_id"),
        text("title"),
        dict("severity"),
        dict(col::ZONE),
        Field::new(col::TIME, timestamp_type(), false),
        Field::new("window_start", timestamp_type(), true),
        Field::new("window_end", timestamp_type(), true),
        text("group_key"),
        Field::new("event_count", DataType::UInt64, false),
        dict("policy_ref"),
        text("evidence"),
    ]))
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_table_starts_with_the_common_columns() {
        let common: Vec<_> = common_fields()
            .into_iter()
            .map(|f| f.name().clone())
            .collect();
        for table in Table::EVENT_TABLES {
            let names: Vec<_> = table
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
            assert_eq!(&names[..common.len()], &common[..], "{table}");
        }
    }

    #[test]
    fn file_schema_leaves_zone_to_the_partition_path() {
        for table in Table::ALL {
            assert!(table.schema().field_with_name(col::ZONE).is_ok());
            assert!(table.file_schema().field_with_name(col::ZONE).is_err());
            assert_eq!(
                table.file_schema().fields().len(),
                table.schema().fields().len() - 1
            );
        }
    }

    #[test]
    fn names_round_trip() {
        for table in Table::ALL {
            assert_eq!(Table::from_name(table.name()), Some(table));
        }
        assert_eq!(Table::from_name("nope"), None);
    }
}
