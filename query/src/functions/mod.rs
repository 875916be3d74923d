//! SQL functions for investigations, registered in every [`Lake`](crate::Lake) session.
//!
//! | function | returns | example |
//! |---|---|---|
//! | `cidr_contains(ip, cidr)` | whether the address is in the range | `WHERE cidr_contains(src_ip, '10.10.0.0/16')` |
//! | `zone_of(ip)` | the configured zone of an address: `core`, `lgwan`, `internet`, `external`, or null | `SELECT zone_of(dst_ip), count(*) FROM network GROUP BY 1` |
//! | `ip_to_int(ip)` | an IPv4 address as a number (null for IPv6), for ranges and sorting | `ORDER BY ip_to_int(src_ip)` |
//! | `jst(ts)` | the timestamp shown in Japan Standard Time | `SELECT jst(time), raw FROM auth` |
//! | `jst_date(ts)` | the calendar day in Japan | `GROUP BY jst_date(time)` |
//! | `jst_hour(ts)` | the hour of day (0–23) in Japan | `WHERE jst_hour(time) NOT BETWEEN 8 AND 18` |
//! | `jst_bucket(interval, ts)` | the start of the `interval` bucket, buckets aligned to midnight in Japan | `GROUP BY jst_bucket('1 hour', time)` |
//!
//! Each function is one file; all accept dictionary-encoded and plain strings, and treat
//! text that is not an address as null rather than failing the query, because logs
//! carry `-`, host names and garbage where addresses should be.

mod net;
mod time;

use std::sync::Arc;

use datafusion::execution::context::SessionContext;
use datafusion::logical_expr::ScalarUDF;
use sanso_ingest::zones::ZoneMap;

/// Registers every sanso function in `ctx`; `zone_of` answers from `zones`.
pub fn register(ctx: &SessionContext, zones: Arc<ZoneMap>) {
    let functions = [
        ScalarUDF::from(net::CidrContains::new()),
        ScalarUDF::from(net::ZoneOf::new(zones)),
        ScalarUDF::from(net::IpToInt::new()),
        ScalarUDF::from(time::Jst::new()),
        ScalarUDF::from(time::JstDate::new()),
        ScalarUDF::from(time::JstHour::new()),
        ScalarUDF::from(time::JstBucket::new()),
    ];
    for function in functions {
        ctx.register_udf(function);
    }
}
