//! Web proxy formats, filling the `http` table.

pub mod combined;
pub mod ifilter;
pub mod intersafe;
pub mod squid;
pub mod w3c;
pub mod zscaler;
