//! Mail gateway formats, filling the `mail` table.

pub mod mfilter;
