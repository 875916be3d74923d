//! Metrics taken from whole record batches on the ingest thread.
//!
//! The ingest thread hands every batch it drains from the column builders to
//! [`BatchMetrics::record`], and reports every commit of the lake to
//! [`BatchMetrics::committed`]. Per batch:
//!
//! ```text
//! for each row:                                  (integer work only)
//!     cell[zone key][format key] += 1            (and the table's other tallies)
//!     device slot: latest receive time, latest event-time skew
//!     skew histogram of the row's zone (a thread-local copy) += |time − received_at|
//! for each non-empty cell:                       (a handful per batch)
//!     counter for (table, zone string, format string) += cell
//! ```
//!
//! Dictionary columns make the first loop cheap: within a batch a zone or a format is a
//! small integer key into a dictionary of a few strings, so rows are counted into a small
//! array indexed by keys, and strings are looked at only once per distinct combination.
//! The counters for each combination are looked up with `with_label_values` the first time
//! and kept in a map keyed by the joined label values, so a batch costs one map probe per
//! non-empty cell and no allocation once the combinations are known.
//!
//! Skew is measured only on rows whose event time differs from their receive time: a
//! line without a timestamp of its own takes its receive time, and would read as a
//! perfect clock.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use arrow::array::{Array, AsArray, Int32Array, RecordBatch, StringArray};
use arrow::datatypes::{Int32Type, TimestampMicrosecondType};
use prometheus::local::LocalHistogram;
use prometheus::{Gauge, Histogram, IntCounter, IntCounterVec};
use sanso_ingest::schema::{Table, col};

use super::{Metrics, UNKNOWN};

/// The label value under which input-chosen values beyond a label's limit are counted.
const OTHER: &str = "other";

/// Distinct device names given series of their own; a city has tens to hundreds.
const MAX_DEVICES: usize = 2048;

/// Distinct web categories given series of their own.
const MAX_CATEGORIES: usize = 256;

/// Distinct guessed formats (parser or syslog app names) given series of their own.
const MAX_FORMAT_GUESSES: usize = 64;

/// Distinct logon types (SSH methods, Windows logon types) given series of their own.
const MAX_LOGON_TYPES: usize = 32;

/// Zone label values of the skew histogram, in slot order; the last is for every other.
const SKEW_ZONES: [&str; 5] = ["core", "lgwan", "internet", "external", UNKNOWN];

const MICROS: f64 = 1e6;

/// Per-batch metrics of one ingest thread; see the module docs.
pub struct BatchMetrics {
    metrics: Metrics,
    counters: Counters,
    /// Gauges per device and zone, keyed by both joined.
    devices: HashMap<String, DeviceGauges>,
    /// Scratch for `devices` keys.
    device_key: String,
    device_names: Vocabulary,
    categories: Vocabulary,
    format_guesses: Vocabulary,
    logon_types: Vocabulary,
    /// Thread-local halves of `sanso_clock_skew_seconds`, one per [`SKEW_ZONES`] entry,
    /// merged into the shared histogram once per batch.
    skew: [LocalHistogram; 5],
    /// `sanso_batch_latency_seconds`, one per [`Table::EVENT_TABLES`] entry.
    latency: [Histogram; Table::EVENT_TABLES.len()],
    /// Drained batches not yet committed: their table's slot and oldest receive time.
    uncommitted: Vec<(usize, i64)>,
    /// Scratch: rows per combination of dictionary keys.
    cells: Vec<u64>,
    /// Scratch: what a batch says about each device.
    slots: Vec<DeviceSlot>,
}

impl BatchMetrics {
    /// A recorder feeding `metrics`.
    pub fn new(metrics: Metrics) -> Self {
        BatchMetrics {
            counters: Counters::default(),
            devices: HashMap::new(),
            device_key: String::new(),
            device_names: Vocabulary::new(MAX_DEVICES),
            categories: Vocabulary::new(MAX_CATEGORIES),
            format_guesses: Vocabulary::new(MAX_FORMAT_GUESSES),
            logon_types: Vocabulary::new(MAX_LOGON_TYPES),
            skew: SKEW_ZONES.map(|zone| metrics.clock_skew.with_label_values(&[zone]).local()),
            latency: Table::EVENT_TABLES
                .map(|table| metrics.batch_latency.with_label_values(&[table.name()])),
            uncommitted: Vec::new(),
            cells: Vec::new(),
            slots: Vec::new(),
            metrics,
        }
    }

    /// Counts one batch drained from the builders, before it goes to the lake writer.
    pub fn record(&mut self, table: Table, batch: &RecordBatch) {
        let rows = batch.num_rows();
        if rows == 0 {
            return;
        }
        let c = &mut self.counters;
        c.add(&self.metrics.rows, 'r', &[table.name()], rows as u64);
        let Some(zone) = Dict::of(batch, col::ZONE) else {
            debug_assert!(false, "every event table has a dictionary `zone` column");
            return;
        };
        match table {
            Table::Network | Table::Http | Table::Auth | Table::Mail => {
                if let Some(format) = Dict::of(batch, col::FORMAT) {
                    for ([z, f], n) in tally([&zone, &format], rows, |_| true, &mut self.cells) {
                        let labels = [table.name(), zone.label(z), format.label(f)];
                        c.add(&self.metrics.events, 'e', &labels, n);
                    }
                }
            }
            Table::Unparsed => {
                if let Some(guess) = Dict::of(batch, "format_guess") {
                    for ([z, g], n) in tally([&zone, &guess], rows, |_| true, &mut self.cells) {
                        let labels = [zone.label(z), self.format_guesses.admit(guess.label(g))];
                        c.add(&self.metrics.unparsed, 'u', &labels, n);
                    }
                }
            }
            Table::Alerts => {}
        }
        if table == Table::Auth
            && let (Some(activity), Some(outcome), Some(logon_type)) = (
                Dict::of(batch, "activity"),
                Dict::of(batch, "outcome"),
                Dict::of(batch, "logon_type"),
            )
        {
            let dims = [&zone, &activity, &outcome, &logon_type];
            for ([z, a, o, l], n) in tally(dims, rows, |_| true, &mut self.cells) {
                let labels = [
                    zone.label(z),
                    activity.label(a),
                    outcome.label(o),
                    self.logon_types.admit(logon_type.label(l)),
                ];
                c.add(&self.metrics.auth_events, 'a', &labels, n);
            }
        }
        if table == Table::Http
            && let (Some(action), Some(category)) =
                (Dict::of(batch, col::ACTION), Dict::of(batch, "category"))
            && let Some(block) = action.code_of("block")
        {
            let blocked = |row: usize| action.code(row) == block;
            for ([z, k], n) in tally([&zone, &category], rows, blocked, &mut self.cells) {
                let labels = [zone.label(z), self.categories.admit(category.label(k))];
                c.add(&self.metrics.http_blocked, 'b', &labels, n);
            }
        }
        self.record_times(table, batch, &zone);
    }

    /// Device freshness, clock skew and the batch's oldest receive time, in one pass.
    fn record_times(&mut self, table: Table, batch: &RecordBatch, zone: &Dict<'_>) {
        let (Some(time), Some(received), Some(device)) = (
            batch
                .column_by_name(col::TIME)
                .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>()),
            batch
                .column_by_name(col::RECEIVED_AT)
                .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>()),
            Dict::of(batch, col::DEVICE),
        ) else {
            debug_assert!(
                false,
                "every event table has `time`, `received_at` and `device`"
            );
            return;
        };
        let skew_slot_of_zone: Vec<usize> = (0..zone.codes())
            .map(|code| {
                SKEW_ZONES
                    .iter()
                    .position(|z| *z == zone.label(code))
                    .unwrap_or(SKEW_ZONES.len() - 1)
            })
            .collect();
        self.slots.clear();
        self.slots.resize(device.codes(), DeviceSlot::default());
        let mut oldest = i64::MAX;
        for row in 0..batch.num_rows() {
            let (t, r) = (time.value(row), received.value(row));
            oldest = oldest.min(r);
            let z = zone.code(row);
            let slot = &mut self.slots[device.code(row)];
            slot.rows += 1;
            slot.zone = z;
            slot.last_received = slot.last_received.max(r);
            if t != r {
                slot.skew = Some(t - r);
                self.skew[skew_slot_of_zone[z]].observe((t - r).unsigned_abs() as f64 / MICROS);
            }
        }
        for histogram in &self.skew {
            histogram.flush();
        }
        for (code, slot) in self.slots.iter().enumerate().filter(|(_, s)| s.rows > 0) {
            let (name, zone) = (
                self.device_names.admit(device.label(code)),
                zone.label(slot.zone),
            );
            let key = &mut self.device_key;
            key.clear();
            key.extend([name, "\u{1f}", zone]);
            if !self.devices.contains_key(key.as_str()) {
                let last_seen = self
                    .metrics
                    .device_last_seen
                    .with_label_values(&[name, zone]);
                self.devices.insert(
                    key.clone(),
                    DeviceGauges {
                        last_seen,
                        clock_skew: None,
                    },
                );
            }
            let gauges = self.devices.get_mut(key.as_str()).expect("inserted above");
            let seen = slot.last_received as f64 / MICROS;
            if seen > gauges.last_seen.get() {
                gauges.last_seen.set(seen);
            }
            if let Some(skew) = slot.skew {
                gauges
                    .clock_skew
                    .get_or_insert_with(|| {
                        self.metrics
                            .device_clock_skew
                            .with_label_values(&[name, zone])
                    })
                    .set(skew as f64 / MICROS);
            }
        }
        if let Some(at) = Table::EVENT_TABLES.iter().position(|t| *t == table) {
            self.uncommitted.push((at, oldest));
        }
    }

    /// Notes that every batch recorded so far is in the lake, written by a flush that took
    /// `took`.
    pub fn committed(&mut self, took: Duration) {
        if self.uncommitted.is_empty() {
            return;
        }
        self.metrics.lake_flush_duration.observe(took.as_secs_f64());
        let now = chrono::Utc::now().timestamp_micros();
        for (at, oldest) in self.uncommitted.drain(..) {
            self.latency[at].observe(now.saturating_sub(oldest).max(0) as f64 / MICROS);
        }
    }
}

/// Counters looked up once per label combination and kept.
#[derive(Default)]
struct Counters {
    cache: HashMap<String, IntCounter>,
    /// Scratch for the lookup key: a family tag and the label values, joined.
    key: String,
}

impl Counters {
    /// Adds `n` to the counter of `family` with `labels`; `tag` tells families apart in
    /// the cache.
    fn add(&mut self, family: &IntCounterVec, tag: char, labels: &[&str], n: u64) {
        self.key.clear();
        self.key.push(tag);
        for label in labels {
            self.key.push('\u{1f}');
            self.key.push_str(label);
        }
        match self.cache.get(self.key.as_str()) {
            Some(counter) => counter.inc_by(n),
            None => {
                let counter = family.with_label_values(labels);
                counter.inc_by(n);
                self.cache.insert(self.key.clone(), counter);
            }
        }
    }
}

/// A device's gauges, looked up once.
struct DeviceGauges {
    last_seen: Gauge,
    /// Created with the device's first timestamped line: until then there is no skew to
    /// show, and a zero would pass for a perfect clock.
    clock_skew: Option<Gauge>,
}

/// What one batch says about one device.
#[derive(Debug, Clone, Copy, Default)]
struct DeviceSlot {
    rows: u32,
    /// Zone key of the device's latest row.
    zone: usize,
    /// Latest receive time, UTC microseconds.
    last_received: i64,
    /// Event time minus receive time of the latest row with a timestamp of its own.
    skew: Option<i64>,
}

/// Label values that come from input: the first `limit` distinct ones are kept, later
/// ones read `other`, so a sender cannot create series without bound.
struct Vocabulary {
    known: HashSet<Box<str>>,
    limit: usize,
}

impl Vocabulary {
    fn new(limit: usize) -> Self {
        Vocabulary {
            known: HashSet::new(),
            limit,
        }
    }

    /// `value` if it is known or there is room for it, otherwise `other`.
    fn admit<'a>(&mut self, value: &'a str) -> &'a str {
        if self.known.contains(value) {
            value
        } else if self.known.len() < self.limit {
            self.known.insert(value.into());
            value
        } else {
            OTHER
        }
    }
}

/// A dictionary column of one batch: per row, an integer key into a few strings.
///
/// A row's *code* is its key, or the number of dictionary values for a null, so that
/// codes index a dense array of `codes()` entries.
struct Dict<'a> {
    keys: &'a Int32Array,
    values: &'a StringArray,
}

impl<'a> Dict<'a> {
    /// The column `name` of `batch`, if it is a dictionary of strings.
    fn of(batch: &'a RecordBatch, name: &str) -> Option<Self> {
        let dict = batch
            .column_by_name(name)?
            .as_dictionary_opt::<Int32Type>()?;
        Some(Dict {
            keys: dict.keys(),
            values: dict.values().as_string_opt::<i32>()?,
        })
    }

    /// Number of distinct codes: one per dictionary value, and one for null.
    fn codes(&self) -> usize {
        self.values.len() + 1
    }

    fn code(&self, row: usize) -> usize {
        if self.keys.is_null(row) {
            self.values.len()
        } else {
            // Keys of a valid dictionary array index its values.
            self.keys.value(row) as usize
        }
    }

    /// The code of a value, if the batch holds it.
    fn code_of(&self, value: &str) -> Option<usize> {
        (0..self.values.len()).find(|&i| self.values.value(i) == value)
    }

    /// The label value of a code: the string, or `unknown` for null.
    fn label(&self, code: usize) -> &'a str {
        if code < self.values.len() {
            self.values.value(code)
        } else {
            UNKNOWN
        }
    }
}

/// Counts the rows that `keep` accepts by their combination of codes in `dims`, and
/// yields each combination that occurred with its count.
///
/// Rows are counted into `cells`, a dense array over all combinations (row-major), which
/// stays small because dictionaries within a batch are: a few zones times a few formats.
fn tally<'c, const N: usize>(
    dims: [&Dict<'_>; N],
    rows: usize,
    keep: impl Fn(usize) -> bool,
    cells: &'c mut Vec<u64>,
) -> impl Iterator<Item = ([usize; N], u64)> + 'c {
    let sizes = dims.map(Dict::codes);
    cells.clear();
    cells.resize(sizes.iter().product(), 0);
    for row in (0..rows).filter(|&row| keep(row)) {
        let cell = dims
            .iter()
            .zip(&sizes)
            .fold(0, |at, (dim, size)| at * size + dim.code(row));
        cells[cell] += 1;
    }
    cells
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(move |(mut cell, n)| {
            let mut codes = [0; N];
            for (code, size) in codes.iter_mut().zip(&sizes).rev() {
                *code = cell % size;
                cell /= size;
            }
            (codes, *n)
        })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, StringDictionaryBuilder, TimestampMicrosecondArray};
    use arrow::datatypes::{Field, Schema};

    use super::*;

    fn dict(values: &[Option<&str>]) -> ArrayRef {
        let mut builder = StringDictionaryBuilder::<Int32Type>::new();
        for value in values {
            builder.append_option(*value);
        }
        Arc::new(builder.finish())
    }

    fn times(values: &[i64]) -> ArrayRef {
        Arc::new(TimestampMicrosecondArray::from(values.to_vec()).with_timezone("UTC"))
    }

    /// A batch with the columns the recorder reads, not a real table's whole schema.
    fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
        let fields: Vec<Field> = columns
            .iter()
            .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
            .collect();
        RecordBatch::try_new(
            Arc::new(Schema::new(fields)),
            columns.into_iter().map(|(_, a)| a).collect(),
        )
        .unwrap()
    }

    fn value(text: &str, series: &str) -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no {series} in:\n{text}"))
    }

    const T0: i64 = 1_800_000_000_000_000;

    #[test]
    fn auth_batch_is_counted_by_zone_format_activity_and_outcome() {
        let metrics = Metrics::new();
        let mut recorder = BatchMetrics::new(metrics.clone());
        let b = batch(vec![
            (col::TIME, times(&[T0 - 2_000_000, T0, T0 + 90_000_000])),
            (col::RECEIVED_AT, times(&[T0, T0, T0 + 1_000_000])),
            (col::ZONE, dict(&[Some("core"), Some("core"), None])),
            (
                col::DEVICE,
                dict(&[Some("srv-core01"), Some("srv-core01"), None]),
            ),
            (
                col::FORMAT,
                dict(&[Some("sshd"), Some("sshd"), Some("radius")]),
            ),
            (
                "activity",
                dict(&[Some("logon"), Some("logon"), Some("mfa")]),
            ),
            (
                "outcome",
                dict(&[Some("failure"), Some("failure"), Some("success")]),
            ),
            (
                "logon_type",
                dict(&[Some("password"), Some("password"), None]),
            ),
        ]);
        recorder.record(Table::Auth, &b);
        recorder.record(Table::Auth, &b);
        let text = metrics.render();
        assert_eq!(value(&text, r#"sanso_rows_total{table="auth"}"#), 6.0);
        assert_eq!(
            value(
                &text,
                r#"sanso_events_total{format="sshd",table="auth",zone="core"}"#
            ),
            4.0
        );
        assert_eq!(
            value(
                &text,
                r#"sanso_events_total{format="radius",table="auth",zone="unknown"}"#
            ),
            2.0
        );
        assert_eq!(
            value(
                &text,
                r#"sanso_auth_events_total{activity="logon",logon_type="password",outcome="failure",zone="core"}"#
            ),
            4.0
        );
        assert_eq!(
            value(
                &text,
                r#"sanso_auth_events_total{activity="mfa",logon_type="unknown",outcome="success",zone="unknown"}"#
            ),
            2.0
        );
        // The second row carries no timestamp of its own: the first one's skew stands.
        assert_eq!(
            value(
                &text,
                r#"sanso_device_clock_skew_seconds{device="srv-core01",zone="core"}"#
            ),
            -2.0
        );
        assert_eq!(
            value(
                &text,
                r#"sanso_device_clock_skew_seconds{device="unknown",zone="unknown"}"#
            ),
            89.0
        );
        assert_eq!(
            value(
                &text,
                r#"sanso_device_last_seen_timestamp_seconds{device="srv-core01",zone="core"}"#
            ),
            T0 as f64 / MICROS
        );
        assert_eq!(
            value(&text, r#"sanso_clock_skew_seconds_count{zone="core"}"#),
            2.0
        );
        assert_eq!(
            value(
                &text,
                r#"sanso_clock_skew_seconds_bucket{zone="unknown",le="60"}"#
            ),
            0.0
        );
        assert_eq!(
            value(
                &text,
                r#"sanso_clock_skew_seconds_bucket{zone="unknown",le="300"}"#
            ),
            2.0
        );
    }

    #[test]
    fn only_blocked_requests_count_by_category() {
        let metrics = Metrics::new();
        let mut recorder = BatchMetrics::new(metrics.clone());
        let b = batch(vec![
            (col::TIME, times(&[T0, T0, T0])),
            (col::RECEIVED_AT, times(&[T0, T0, T0])),
            (
                col::ZONE,
                dict(&[Some("internet"), Some("internet"), Some("lgwan")]),
            ),
            (
                col::DEVICE,
                dict(&[Some("proxy-inet"), Some("proxy-inet"), Some("proxy-lgwan")]),
            ),
            (
                col::FORMAT,
                dict(&[Some("squid"), Some("squid"), Some("squid")]),
            ),
            (
                col::ACTION,
                dict(&[Some("block"), Some("allow"), Some("block")]),
            ),
            ("category", dict(&[Some("malware"), Some("news"), None])),
        ]);
        recorder.record(Table::Http, &b);
        let text = metrics.render();
        assert_eq!(
            value(
                &text,
                r#"sanso_http_blocked_total{category="malware",zone="internet"}"#
            ),
            1.0
        );
        assert_eq!(
            value(
                &text,
                r#"sanso_http_blocked_total{category="unknown",zone="lgwan"}"#
            ),
            1.0
        );
        assert!(!text.contains(r#"category="news""#), "{text}");
        // No row had a timestamp of its own, so no skew was measured.
        assert!(!text.contains("sanso_device_clock_skew_seconds{"), "{text}");
    }

    #[test]
    fn input_chosen_labels_are_bounded() {
        let mut vocabulary = Vocabulary::new(2);
        assert_eq!(vocabulary.admit("a"), "a");
        assert_eq!(vocabulary.admit("b"), "b");
        assert_eq!(vocabulary.admit("c"), OTHER);
        assert_eq!(vocabulary.admit("a"), "a");
    }

    #[test]
    fn latency_is_observed_per_batch_at_commit() {
        let metrics = Metrics::new();
        let mut recorder = BatchMetrics::new(metrics.clone());
        let now = chrono::Utc::now().timestamp_micros();
        let b = batch(vec![
            (col::TIME, times(&[now])),
            (col::RECEIVED_AT, times(&[now - 3_000_000])),
            (col::ZONE, dict(&[Some("lgwan")])),
            (col::DEVICE, dict(&[Some("fw-lgwan")])),
            (col::FORMAT, dict(&[None])),
            ("format_guess", dict(&[Some("iptables")])),
        ]);
        recorder.committed(Duration::from_millis(5));
        recorder.record(Table::Unparsed, &b);
        recorder.committed(Duration::from_millis(20));
        recorder.committed(Duration::from_millis(5));
        let text = metrics.render();
        assert_eq!(
            value(
                &text,
                r#"sanso_unparsed_lines_total{format_guess="iptables",zone="lgwan"}"#
            ),
            1.0
        );
        assert_eq!(value(&text, "sanso_lake_flush_duration_seconds_count"), 1.0);
        assert_eq!(
            value(
                &text,
                r#"sanso_batch_latency_seconds_count{table="unparsed"}"#
            ),
            1.0
        );
        assert_eq!(
            value(
                &text,
                r#"sanso_batch_latency_seconds_bucket{table="unparsed",le="2.5"}"#
            ),
            0.0
        );
        assert_eq!(
            value(
                &text,
                r#"sanso_batch_latency_seconds_bucket{table="unparsed",le="5"}"#
            ),
            1.0
        );
    }

    #[test]
    fn tally_counts_combinations_and_nulls() {
        let zone = dict(&[Some("core"), None, Some("core"), Some("lgwan")]);
        let format = dict(&[Some("a"), Some("a"), Some("a"), Some("b")]);
        let b = batch(vec![("z", zone), ("f", format)]);
        let (z, f) = (Dict::of(&b, "z").unwrap(), Dict::of(&b, "f").unwrap());
        let mut cells = Vec::new();
        let mut counted: Vec<_> = tally([&z, &f], 4, |_| true, &mut cells)
            .map(|([zc, fc], n)| (z.label(zc), f.label(fc), n))
            .collect();
        counted.sort();
        assert_eq!(
            counted,
            [("core", "a", 2), ("lgwan", "b", 1), ("unknown", "a", 1)]
        );
    }
}
