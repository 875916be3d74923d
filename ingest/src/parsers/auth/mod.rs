//! Authentication formats, filling the `auth` table.

pub mod openvpn;
pub mod radius;
pub mod sshd;
pub mod windows;
