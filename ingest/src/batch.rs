//! Column builders that collect parsed lines into Arrow record batches.
//!
//! [`Batches`] holds one builder per event table. Each parsed line is appended straight
//! into the typed Arrow builders of its table (no intermediate row struct is kept), and
//! [`Batches::finish`] hands out one [`RecordBatch`] per table that received rows. Zone
//! enrichment of endpoints (`src_zone`, `dst_zone`) happens here, on append, because it
//! needs the event's addresses and the [`ZoneMap`] and nothing else.
//!
//! Arrow's `finish()` hands a builder's buffers to the finished array and leaves the
//! builder empty. Each column therefore starts its next batch with room for as many rows
//! and bytes as its last one ([`FinishSized`]), instead of growing again from nothing and
//! copying its bytes at every doubling.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BinaryBuilder, BooleanArray, BooleanBuilder, DictionaryArray,
    GenericByteArray, GenericByteBuilder, Int32Builder, ListBuilder, MapBuilder, PrimitiveArray,
    PrimitiveBuilder, RecordBatch, StringArray, StringBuilder, StringDictionaryBuilder,
    TimestampMicrosecondBuilder, UInt16Builder, UInt64Builder,
};
use arrow::datatypes::{ArrowPrimitiveType, ByteArrayType, Int32Type};

use crate::event::{AuthEvent, Event, HttpEvent, MailEvent, Micros, NetworkEvent};
use crate::schema::Table;
use crate::zones::{Zone, ZoneMap};

/// The columns every event carries, borrowed for one append.
#[derive(Debug, Clone, Copy)]
pub struct Common<'a> {
    /// Event time, UTC microseconds.
    pub time: Micros,
    /// Receive time, UTC microseconds.
    pub received_at: Micros,
    /// Zone of the reporting device, when known.
    pub zone: Option<Zone>,
    /// Reporting device.
    pub device: Option<&'a str>,
    /// Name of the parser that accepted the line (for `unparsed`, the one that was tried).
    pub format: Option<&'a str>,
    /// Where the line came from.
    pub source: &'a str,
    /// The line as text.
    pub raw: &'a str,
    /// The original bytes when they differ from the UTF-8 of `raw` (another encoding, or
    /// invalid UTF-8 that was replaced).
    pub raw_bytes: Option<&'a [u8]>,
}

type DictBuilder = StringDictionaryBuilder<Int32Type>;

/// Finishing a column's builder and leaving it ready for a batch the size of this one.
trait FinishSized {
    /// The array the builder makes.
    type Array;

    /// Finishes the array and gives the builder room for as many rows and bytes.
    fn finish_sized(&mut self) -> Self::Array;
}

impl<T: ArrowPrimitiveType> FinishSized for PrimitiveBuilder<T> {
    type Array = PrimitiveArray<T>;

    fn finish_sized(&mut self) -> PrimitiveArray<T> {
        let array = self.finish();
        *self = PrimitiveBuilder::with_capacity(array.len());
        array
    }
}

impl FinishSized for BooleanBuilder {
    type Array = BooleanArray;

    fn finish_sized(&mut self) -> BooleanArray {
        let array = self.finish();
        *self = BooleanBuilder::with_capacity(array.len());
        array
    }
}

impl<T: ByteArrayType> FinishSized for GenericByteBuilder<T> {
    type Array = GenericByteArray<T>;

    fn finish_sized(&mut self) -> GenericByteArray<T> {
        let array = self.finish();
        *self = GenericByteBuilder::with_capacity(array.len(), array.value_data().len());
        array
    }
}

impl FinishSized for DictBuilder {
    type Array = DictionaryArray<Int32Type>;

    fn finish_sized(&mut self) -> DictionaryArray<Int32Type> {
        let array = self.finish();
        let values = array.values().as_string::<i32>();
        *self = DictBuilder::with_capacity(array.len(), values.len(), values.value_data().len());
        array
    }
}

/// A string builder with room for the values of `array`.
fn string_builder_for(array: &StringArray) -> StringBuilder {
    StringBuilder::with_capacity(array.len(), array.value_data().len())
}

/// Builds the `extra` map column.
struct ExtraBuilder(MapBuilder<StringBuilder, StringBuilder>);

impl Default for ExtraBuilder {
    fn default() -> Self {
        ExtraBuilder(MapBuilder::new(
            None,
            StringBuilder::new(),
            StringBuilder::new(),
        ))
    }
}

impl ExtraBuilder {
    /// Appends one row's extra fields; a row without any gets a null, not an empty map.
    fn append(&mut self, fields: &[(&str, &str)]) {
        for (key, value) in fields {
            self.0.keys().append_value(key);
            self.0.values().append_value(value);
        }
        self.0
            .append(!fields.is_empty())
            .expect("keys and values are appended in pairs");
    }

    fn finish(&mut self) -> ArrayRef {
        let map = self.0.finish();
        self.0 = MapBuilder::with_capacity(
            None,
            string_builder_for(map.keys().as_string()),
            string_builder_for(map.values().as_string()),
            map.len(),
        );
        Arc::new(map)
    }
}

#[derive(Default)]
struct CommonColumns {
    time: TimestampMicrosecondBuilder,
    received_at: TimestampMicrosecondBuilder,
    zone: DictBuilder,
    device: DictBuilder,
    format: DictBuilder,
    source: StringBuilder,
    raw: StringBuilder,
    raw_bytes: BinaryBuilder,
}

impl CommonColumns {
    fn append(&mut self, c: &Common<'_>) {
        self.time.append_value(c.time);
        self.received_at.append_value(c.received_at);
        self.zone.append_option(c.zone.map(Zone::as_str));
        self.device.append_option(c.device);
        self.format.append_option(c.format);
        self.source.append_value(c.source);
        self.raw.append_value(c.raw);
        self.raw_bytes.append_option(c.raw_bytes);
    }

    fn finish(&mut self, columns: &mut Vec<ArrayRef>) {
        columns.push(Arc::new(self.time.finish_sized().with_timezone("UTC")));
        columns.push(Arc::new(
            self.received_at.finish_sized().with_timezone("UTC"),
        ));
        columns.push(Arc::new(self.zone.finish_sized()));
        columns.push(Arc::new(self.device.finish_sized()));
        columns.push(Arc::new(self.format.finish_sized()));
        columns.push(Arc::new(self.source.finish_sized()));
        columns.push(Arc::new(self.raw.finish_sized()));
        columns.push(Arc::new(self.raw_bytes.finish_sized()));
    }
}

#[derive(Default)]
struct NetworkColumns {
    common: CommonColumns,
    src_ip: StringBuilder,
    src_port: UInt16Builder,
    src_zone: DictBuilder,
    dst_ip: StringBuilder,
    dst_port: UInt16Builder,
    dst_zone: DictBuilder,
    protocol: DictBuilder,
    action: DictBuilder,
    rule: DictBuilder,
    bytes_in: UInt64Builder,
    bytes_out: UInt64Builder,
    packets: UInt64Builder,
    duration_ms: UInt64Builder,
    src_intf: DictBuilder,
    dst_intf: DictBuilder,
    app: DictBuilder,
    threat_name: StringBuilder,
    threat_severity: DictBuilder,
    nat_src_ip: StringBuilder,
    nat_src_port: UInt16Builder,
    nat_dst_ip: StringBuilder,
    nat_dst_port: UInt16Builder,
    extra: ExtraBuilder,
}

impl NetworkColumns {
    fn append(&mut self, c: &Common<'_>, e: &NetworkEvent<'_>, zones: &ZoneMap) {
        self.common.append(c);
        self.src_ip.append_option(e.src_ip);
        self.src_port.append_option(e.src_port);
        self.src_zone.append_option(endpoint_zone(
            zones,
            e.src_device_zone,
            e.src_ip,
            e.src_intf,
        ));
        self.dst_ip.append_option(e.dst_ip);
        self.dst_port.append_option(e.dst_port);
        self.dst_zone.append_option(endpoint_zone(
            zones,
            e.dst_device_zone,
            e.dst_ip,
            e.dst_intf,
        ));
        self.protocol.append_option(e.protocol);
        self.action.append_option(e.action);
        self.rule.append_option(e.rule);
        self.bytes_in.append_option(e.bytes_in);
        self.bytes_out.append_option(e.bytes_out);
        self.packets.append_option(e.packets);
        self.duration_ms.append_option(e.duration_ms);
        self.src_intf.append_option(e.src_intf);
        self.dst_intf.append_option(e.dst_intf);
        self.app.append_option(e.app);
        self.threat_name.append_option(e.threat_name);
        self.threat_severity.append_option(e.threat_severity);
        self.nat_src_ip.append_option(e.nat_src_ip);
        self.nat_src_port.append_option(e.nat_src_port);
        self.nat_dst_ip.append_option(e.nat_dst_ip);
        self.nat_dst_port.append_option(e.nat_dst_port);
        self.extra.append(&e.extra);
    }

    fn finish(&mut self) -> Vec<ArrayRef> {
        let mut columns = Vec::with_capacity(Table::Network.schema().fields().len());
        self.common.finish(&mut columns);
        columns.push(Arc::new(self.src_ip.finish_sized()));
        columns.push(Arc::new(self.src_port.finish_sized()));
        columns.push(Arc::new(self.src_zone.finish_sized()));
        columns.push(Arc::new(self.dst_ip.finish_sized()));
        columns.push(Arc::new(self.dst_port.finish_sized()));
        columns.push(Arc::new(self.dst_zone.finish_sized()));
        columns.push(Arc::new(self.protocol.finish_sized()));
        columns.push(Arc::new(self.action.finish_sized()));
        columns.push(Arc::new(self.rule.finish_sized()));
        columns.push(Arc::new(self.bytes_in.finish_sized()));
        columns.push(Arc::new(self.bytes_out.finish_sized()));
        columns.push(Arc::new(self.packets.finish_sized()));
        columns.push(Arc::new(self.duration_ms.finish_sized()));
        columns.push(Arc::new(self.src_intf.finish_sized()));
        columns.push(Arc::new(self.dst_intf.finish_sized()));
        columns.push(Arc::new(self.app.finish_sized()));
        columns.push(Arc::new(self.threat_name.finish_sized()));
        columns.push(Arc::new(self.threat_severity.finish_sized()));
        columns.push(Arc::new(self.nat_src_ip.finish_sized()));
        columns.push(Arc::new(self.nat_src_port.finish_sized()));
        columns.push(Arc::new(self.nat_dst_ip.finish_sized()));
        columns.push(Arc::new(self.nat_dst_port.finish_sized()));
        columns.push(self.extra.finish());
        columns
    }
}

#[derive(Default)]
struct HttpColumns {
    common: CommonColumns,
    src_ip: StringBuilder,
    src_zone: DictBuilder,
    user: StringBuilder,
    method: DictBuilder,
    url: StringBuilder,
    url_host: StringBuilder,
    url_path: StringBuilder,
    status: UInt16Builder,
    bytes_in: UInt64Builder,
    bytes_out: UInt64Builder,
    content_type: DictBuilder,
    user_agent: StringBuilder,
    category: DictBuilder,
    action: DictBuilder,
    reason: StringBuilder,
    duration_ms: UInt64Builder,
    dst_ip: StringBuilder,
    cache_result: DictBuilder,
    extra: ExtraBuilder,
}

impl HttpColumns {
    fn append(&mut self, c: &Common<'_>, e: &HttpEvent<'_>, zones: &ZoneMap) {
        self.common.append(c);
        self.src_ip.append_option(e.src_ip);
        self.src_zone
            .append_option(endpoint_zone(zones, None, e.src_ip, None));
        self.user.append_option(e.user);
        self.method.append_option(e.method);
        self.url.append_option(e.url);
        self.url_host.append_option(e.url_host);
        self.url_path.append_option(e.url_path);
        self.status.append_option(e.status);
        self.bytes_in.append_option(e.bytes_in);
        self.bytes_out.append_option(e.bytes_out);
        self.content_type.append_option(e.content_type);
        self.user_agent.append_option(e.user_agent);
        self.category.append_option(e.category);
        self.action.append_option(e.action);
        self.reason.append_option(e.reason);
        self.duration_ms.append_option(e.duration_ms);
        self.dst_ip.append_option(e.dst_ip);
        self.cache_result.append_option(e.cache_result);
        self.extra.append(&e.extra);
    }

    fn finish(&mut self) -> Vec<ArrayRef> {
        let mut columns = Vec::with_capacity(Table::Http.schema().fields().len());
        self.common.finish(&mut columns);
        columns.push(Arc::new(self.src_ip.finish_sized()));
        columns.push(Arc::new(self.src_zone.finish_sized()));
        columns.push(Arc::new(self.user.finish_sized()));
        columns.push(Arc::new(self.method.finish_sized()));
        columns.push(Arc::new(self.url.finish_sized()));
        columns.push(Arc::new(self.url_host.finish_sized()));
        columns.push(Arc::new(self.url_path.finish_sized()));
        columns.push(Arc::new(self.status.finish_sized()));
        columns.push(Arc::new(self.bytes_in.finish_sized()));
        columns.push(Arc::new(self.bytes_out.finish_sized()));
        columns.push(Arc::new(self.content_type.finish_sized()));
        columns.push(Arc::new(self.user_agent.finish_sized()));
        columns.push(Arc::new(self.category.finish_sized()));
        columns.push(Arc::new(self.action.finish_sized()));
        columns.push(Arc::new(self.reason.finish_sized()));
        columns.push(Arc::new(self.duration_ms.finish_sized()));
        columns.push(Arc::new(self.dst_ip.finish_sized()));
        columns.push(Arc::new(self.cache_result.finish_sized()));
        columns.push(self.extra.finish());
        columns
    }
}

#[derive(Default)]
struct AuthColumns {
    common: CommonColumns,
    user: StringBuilder,
    user_domain: DictBuilder,
    src_ip: StringBuilder,
    src_zone: DictBuilder,
    src_host: StringBuilder,
    dst_host: StringBuilder,
    protocol: DictBuilder,
    logon_type: DictBuilder,
    activity: DictBuilder,
    outcome: DictBuilder,
    reason: StringBuilder,
    event_code: Int32Builder,
    is_mfa: BooleanBuilder,
    is_privileged: BooleanBuilder,
    extra: ExtraBuilder,
}

impl AuthColumns {
    fn append(&mut self, c: &Common<'_>, e: &AuthEvent<'_>, zones: &ZoneMap) {
        self.common.append(c);
        self.user.append_option(e.user);
        self.user_domain.append_option(e.user_domain);
        self.src_ip.append_option(e.src_ip);
        self.src_zone
            .append_option(endpoint_zone(zones, None, e.src_ip, None));
        self.src_host.append_option(e.src_host);
        // The host logged on to is the reporting device unless the message names another.
        self.dst_host.append_option(e.dst_host.or(c.device));
        self.protocol.append_option(e.protocol);
        self.logon_type.append_option(e.logon_type);
        self.activity.append_option(e.activity);
        self.outcome.append_option(e.outcome);
        self.reason.append_option(e.reason);
        self.event_code.append_option(e.event_code);
        self.is_mfa.append_option(e.is_mfa);
        self.is_privileged.append_option(e.is_privileged);
        self.extra.append(&e.extra);
    }

    fn finish(&mut self) -> Vec<ArrayRef> {
        let mut columns = Vec::with_capacity(Table::Auth.schema().fields().len());
        self.common.finish(&mut columns);
        columns.push(Arc::new(self.user.finish_sized()));
        columns.push(Arc::new(self.user_domain.finish_sized()));
        columns.push(Arc::new(self.src_ip.finish_sized()));
        columns.push(Arc::new(self.src_zone.finish_sized()));
        columns.push(Arc::new(self.src_host.finish_sized()));
        columns.push(Arc::new(self.dst_host.finish_sized()));
        columns.push(Arc::new(self.protocol.finish_sized()));
        columns.push(Arc::new(self.logon_type.finish_sized()));
        columns.push(Arc::new(self.activity.finish_sized()));
        columns.push(Arc::new(self.outcome.finish_sized()));
        columns.push(Arc::new(self.reason.finish_sized()));
        columns.push(Arc::new(self.event_code.finish_sized()));
        columns.push(Arc::new(self.is_mfa.finish_sized()));
        columns.push(Arc::new(self.is_privileged.finish_sized()));
        columns.push(self.extra.finish());
        columns
    }
}

/// Builds a `List<Utf8>` column.
struct TextListBuilder(ListBuilder<StringBuilder>);

impl Default for TextListBuilder {
    fn default() -> Self {
        TextListBuilder(ListBuilder::new(StringBuilder::new()))
    }
}

impl TextListBuilder {
    /// Appends one row's values; a row without any gets a null, not an empty list, the
    /// way `extra` does.
    fn append(&mut self, values: &[&str]) {
        for value in values {
            self.0.values().append_value(value);
        }
        self.0.append(!values.is_empty());
    }

    fn finish(&mut self) -> ArrayRef {
        let list = self.0.finish();
        self.0 =
            ListBuilder::with_capacity(string_builder_for(list.values().as_string()), list.len());
        Arc::new(list)
    }
}

#[derive(Default)]
struct MailColumns {
    common: CommonColumns,
    src_ip: StringBuilder,
    src_zone: DictBuilder,
    dst_ip: StringBuilder,
    dst_zone: DictBuilder,
    sender: StringBuilder,
    recipients: TextListBuilder,
    size: UInt64Builder,
    attachments: TextListBuilder,
    message_id: StringBuilder,
    rule: DictBuilder,
    disposition: DictBuilder,
    extra: ExtraBuilder,
}

impl MailColumns {
    fn append(&mut self, c: &Common<'_>, e: &MailEvent<'_>, zones: &ZoneMap) {
        self.common.append(c);
        self.src_ip.append_option(e.src_ip);
        self.src_zone
            .append_option(endpoint_zone(zones, None, e.src_ip, None));
        self.dst_ip.append_option(e.dst_ip);
        self.dst_zone
            .append_option(endpoint_zone(zones, None, e.dst_ip, None));
        self.sender.append_option(e.sender);
        self.recipients.append(&e.recipients);
        self.size.append_option(e.size);
        self.attachments.append(&e.attachments);
        self.message_id.append_option(e.message_id);
        self.rule.append_option(e.rule);
        self.disposition.append_option(e.disposition);
        self.extra.append(&e.extra);
    }

    fn finish(&mut self) -> Vec<ArrayRef> {
        let mut columns = Vec::with_capacity(Table::Mail.schema().fields().len());
        self.common.finish(&mut columns);
        columns.push(Arc::new(self.src_ip.finish_sized()));
        columns.push(Arc::new(self.src_zone.finish_sized()));
        columns.push(Arc::new(self.dst_ip.finish_sized()));
        columns.push(Arc::new(self.dst_zone.finish_sized()));
        columns.push(Arc::new(self.sender.finish_sized()));
        columns.push(self.recipients.finish());
        columns.push(Arc::new(self.size.finish_sized()));
        columns.push(self.attachments.finish());
        columns.push(Arc::new(self.message_id.finish_sized()));
        columns.push(Arc::new(self.rule.finish_sized()));
        columns.push(Arc::new(self.disposition.finish_sized()));
        columns.push(self.extra.finish());
        columns
    }
}

#[derive(Default)]
struct UnparsedColumns {
    common: CommonColumns,
    error: StringBuilder,
    format_guess: DictBuilder,
}

impl UnparsedColumns {
    fn append(&mut self, c: &Common<'_>, error: &str, format_guess: Option<&str>) {
        self.common.append(c);
        self.error.append_value(error);
        self.format_guess.append_option(format_guess);
    }

    fn finish(&mut self) -> Vec<ArrayRef> {
        let mut columns = Vec::with_capacity(Table::Unparsed.schema().fields().len());
        self.common.finish(&mut columns);
        columns.push(Arc::new(self.error.finish_sized()));
        columns.push(Arc::new(self.format_guess.finish_sized()));
        columns
    }
}

/// The zone of one end of a flow: the zone the device itself logged (PAN-OS zone names,
/// mapped through the interface table), else the address's range, else the interface.
fn endpoint_zone(
    zones: &ZoneMap,
    device_zone: Option<&str>,
    ip: Option<&str>,
    interface: Option<&str>,
) -> Option<&'static str> {
    device_zone
        .and_then(|z| zones.zone_of_interface(z))
        .or_else(|| ip.and_then(|ip| zones.zone_of_ip_str(ip)))
        .or_else(|| interface.and_then(|i| zones.zone_of_interface(i)))
        .map(Zone::as_str)
}

/// Rows appended to each table since the last [`Batches::finish`], and in total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RowCounts {
    /// Rows in `network`.
    pub network: u64,
    /// Rows in `http`.
    pub http: u64,
    /// Rows in `auth`.
    pub auth: u64,
    /// Rows in `mail`.
    pub mail: u64,
    /// Rows in `unparsed`.
    pub unparsed: u64,
}

impl RowCounts {
    /// Rows across all tables.
    pub fn total(&self) -> u64 {
        self.network + self.http + self.auth + self.mail + self.unparsed
    }

    /// Rows of one event table (zero for tables ingest does not fill).
    pub fn get(&self, table: Table) -> u64 {
        match table {
            Table::Network => self.network,
            Table::Http => self.http,
            Table::Auth => self.auth,
            Table::Mail => self.mail,
            Table::Unparsed => self.unparsed,
            Table::Alerts => 0,
        }
    }

    fn bump(&mut self, table: Table) {
        match table {
            Table::Network => self.network += 1,
            Table::Http => self.http += 1,
            Table::Auth => self.auth += 1,
            Table::Mail => self.mail += 1,
            Table::Unparsed => self.unparsed += 1,
            Table::Alerts => {}
        }
    }
}

/// Builders for every event table, filled line by line and drained as record batches.
pub struct Batches {
    zones: Arc<ZoneMap>,
    network: NetworkColumns,
    http: HttpColumns,
    auth: AuthColumns,
    mail: MailColumns,
    unparsed: UnparsedColumns,
    pending: RowCounts,
}

impl Batches {
    /// Empty builders that enrich endpoints with `zones`.
    pub fn new(zones: Arc<ZoneMap>) -> Self {
        Batches {
            zones,
            network: NetworkColumns::default(),
            http: HttpColumns::default(),
            auth: AuthColumns::default(),
            mail: MailColumns::default(),
            unparsed: UnparsedColumns::default(),
            pending: RowCounts::default(),
        }
    }

    /// Appends a parsed event to its table.
    pub fn push(&mut self, common: &Common<'_>, event: &Event<'_>) {
        let table = match event {
            Event::Network(e) => {
                self.network.append(common, e, &self.zones);
                Table::Network
            }
            Event::Http(e) => {
                self.http.append(common, e, &self.zones);
                Table::Http
            }
            Event::Auth(e) => {
                self.auth.append(common, e, &self.zones);
                Table::Auth
            }
            Event::Mail(e) => {
                self.mail.append(common, e, &self.zones);
                Table::Mail
            }
        };
        self.pending.bump(table);
    }

    /// Appends a line that no parser accepted, with the reason and the format that was
    /// tried or guessed.
    pub fn push_unparsed(&mut self, common: &Common<'_>, error: &str, format_guess: Option<&str>) {
        self.unparsed.append(common, error, format_guess);
        self.pending.bump(Table::Unparsed);
    }

    /// Rows waiting in the builders.
    pub fn pending(&self) -> RowCounts {
        self.pending
    }

    /// Drains the builders: one record batch per table that received rows.
    pub fn finish(&mut self) -> Vec<(Table, RecordBatch)> {
        let mut out = Vec::with_capacity(Table::EVENT_TABLES.len());
        for table in Table::EVENT_TABLES {
            if self.pending.get(table) == 0 {
                continue;
            }
            let columns = match table {
                Table::Network => self.network.finish(),
                Table::Http => self.http.finish(),
                Table::Auth => self.auth.finish(),
                Table::Mail => self.mail.finish(),
                Table::Unparsed => self.unparsed.finish(),
                Table::Alerts => continue,
            };
            let batch = RecordBatch::try_new(table.schema(), columns)
                .expect("builders are declared in schema order with schema types");
            out.push((table, batch));
        }
        self.pending = RowCounts::default();
        out
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, AsArray};

    use super::*;
    use crate::zones::ZoneConfig;

    fn zones() -> Arc<ZoneMap> {
        let core = ZoneConfig {
            cidrs: vec!["10.10.0.0/16".into()],
            ..Default::default()
        };
        let internet = ZoneConfig {
            interfaces: vec!["untrust".into()],
            ..Default::default()
        };
        Arc::new(ZoneMap::new([(Zone::Core, &core), (Zone::Internet, &internet)]).unwrap())
    }

    fn common<'a>(raw: &'a str) -> Common<'a> {
        Common {
            time: 1_700_000_000_000_000,
            received_at: 1_700_000_000_500_000,
            zone: Some(Zone::Core),
            device: Some("fw-core"),
            format: Some("iptables"),
            source: "test",
            raw,
            raw_bytes: None,
        }
    }

    #[test]
    fn batches_match_schemas_and_enrich_zones() {
        let mut batches = Batches::new(zones());
        let net = NetworkEvent {
            src_ip: Some("10.10.1.1"),
            dst_ip: Some("192.168.9.9"),
            dst_intf: Some("untrust"),
            dst_port: Some(443),
            extra: vec![("devname", "FGT60F"), ("policyid", "7")],
            ..Default::default()
        };
        batches.push(&common("a"), &Event::Network(net));
        batches.push(&common("b"), &Event::Auth(AuthEvent::default()));
        batches.push_unparsed(&common("c"), "no parser recognised the line", None);
        assert_eq!(batches.pending().total(), 3);

        let out = batches.finish();
        assert_eq!(out.len(), 3);
        for (table, batch) in &out {
            assert_eq!(batch.schema(), table.schema());
            assert_eq!(batch.num_rows(), 1);
        }
        let network = &out[0].1;
        let src_zone = network
            .column_by_name("src_zone")
            .unwrap()
            .as_dictionary::<Int32Type>();
        let dst_zone = network
            .column_by_name("dst_zone")
            .unwrap()
            .as_dictionary::<Int32Type>();
        let value = |d: &arrow::array::DictionaryArray<Int32Type>| {
            d.values()
                .as_string::<i32>()
                .value(d.keys().value(0) as usize)
                .to_owned()
        };
        assert_eq!(value(src_zone), "core");
        // 192.168.9.9 is in no range, so the interface decides.
        assert_eq!(value(dst_zone), "internet");

        let auth = &out[1].1;
        let dst_host = auth.column_by_name("dst_host").unwrap().as_string::<i32>();
        assert_eq!(dst_host.value(0), "fw-core");
        assert_eq!(batches.pending().total(), 0);
        assert!(batches.finish().is_empty());
    }

    #[test]
    fn mail_lists_hold_every_value_and_null_when_empty() {
        let mut batches = Batches::new(zones());
        let mail = MailEvent {
            src_ip: Some("10.10.3.3"),
            recipients: vec!["a@city.example.lg.jp", "b@city.example.lg.jp"],
            attachments: vec!["議事録.docx"],
            disposition: Some("attachment_removed"),
            ..Default::default()
        };
        batches.push(&common("a"), &Event::Mail(mail));
        batches.push(&common("b"), &Event::Mail(MailEvent::default()));
        let out = batches.finish();
        let (table, batch) = &out[0];
        assert_eq!(*table, Table::Mail);
        assert_eq!(batch.schema(), Table::Mail.schema());
        let recipients = batch.column_by_name("recipients").unwrap().as_list::<i32>();
        let first = recipients.value(0);
        let first = first.as_string::<i32>();
        assert_eq!(
            (0..first.len()).map(|i| first.value(i)).collect::<Vec<_>>(),
            ["a@city.example.lg.jp", "b@city.example.lg.jp"]
        );
        assert!(recipients.is_null(1));
        let attachments = batch
            .column_by_name("attachments")
            .unwrap()
            .as_list::<i32>();
        assert_eq!(
            attachments.value(0).as_string::<i32>().value(0),
            "議事録.docx"
        );
        assert!(attachments.is_null(1));
        let src_zone = batch
            .column_by_name("src_zone")
            .unwrap()
            .as_dictionary::<Int32Type>();
        assert!(src_zone.is_valid(0) && src_zone.is_null(1));
    }

    #[test]
    fn builders_are_reusable_after_finish() {
        let mut batches = Batches::new(zones());
        for round in 0..3 {
            for _ in 0..=round {
                batches.push_unparsed(&common("x"), "e", Some("guess"));
            }
            let out = batches.finish();
            assert_eq!(out[0].1.num_rows(), round + 1);
            assert!(out[0].1.column_by_name("raw_bytes").unwrap().is_null(0));
        }
    }

    /// A batch the size of the last one is built without moving a buffer: the lines,
    /// the vendor fields and the numbers all land where the builders already made room.
    #[test]
    fn builders_keep_their_size_for_the_next_batch() {
        let mut batches = Batches::new(zones());
        let lines: Vec<String> = (0..5000)
            .map(|i| format!("line {i} of a firewall that says a good deal"))
            .collect();
        let fill = |batches: &mut Batches| {
            for (i, line) in lines.iter().enumerate() {
                let event = NetworkEvent {
                    src_ip: Some("10.10.1.1"),
                    src_port: Some(i as u16),
                    extra: vec![("sessionid", line.as_str()), ("policyid", "7")],
                    ..Default::default()
                };
                batches.push(&common(line), &Event::Network(event));
            }
        };
        fill(&mut batches);
        assert_eq!(batches.finish()[0].1.num_rows(), lines.len());

        let network = &batches.network;
        let before = (
            network.common.raw.values_slice().as_ptr(),
            network.src_port.values_slice().as_ptr(),
            network.src_port.capacity(),
        );
        fill(&mut batches);
        let network = &batches.network;
        let after = (
            network.common.raw.values_slice().as_ptr(),
            network.src_port.values_slice().as_ptr(),
            network.src_port.capacity(),
        );
        assert_eq!(before, after);
        assert!(after.2 >= lines.len());
        let out = batches.finish();
        assert_eq!(out[0].1.num_rows(), lines.len());
        let extra = out[0].1.column_by_name("extra").unwrap().as_map();
        assert_eq!(
            extra.value(4999).column(1).as_string::<i32>().value(0),
            lines[4999]
        );
    }
}
