//! Array kernels: one leaf over one column, producing a null-free mask.
//!
//! The array's shape is matched once per call, and the per-row loop is a monomorphised
//! closure over plain buffers:
//!
//! ```text
//! dictionary column:  mask_values = kernel(dictionary values)      // once per distinct value
//!                     mask        = lookup(keys, mask_values) & valid(keys)
//! string column:      mask[i]     = valid[i] && kernel(value[i])
//! integer column:     mask        = (value op n) & valid           // no parsing
//! anything else:      cast to Utf8 once, then the string path
//! ```
//!
//! Validity is applied as a whole-buffer AND after the row loop, so the loop itself
//! reads only the values and the compiler can vectorise it.
//!
//! String patterns are not here: every string leaf of a column runs in that column's
//! fused matcher ([`crate::compile::matcher`]), and [`gather`] maps its per-value
//! results to rows.
//!
//! Nulls become `false` here, so the masks combine with plain bitwise and/or/not and a
//! `not` over a null cell is true, as Sigma's "field absent" semantics want.

use arrow::array::{Array, ArrayRef, AsArray, PrimitiveArray, StringArray};
use arrow::buffer::BooleanBuffer;
use arrow::compute::cast;
use arrow::datatypes::{
    ArrowPrimitiveType, DataType, Int8Type, Int16Type, Int32Type, Int64Type, TimeUnit,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow::error::ArrowError;

use crate::compile::{CidrRanges, Kernel, V4_MAPPED};
use crate::ir::{CmpOp, Number, parse_ip_key};

/// A mask of `len` bits from a predicate on the row index.
#[inline]
fn collect(len: usize, f: impl FnMut(usize) -> bool) -> BooleanBuffer {
    BooleanBuffer::collect_bool(len, f)
}

/// Rows whose cell is null (logical nulls: a dictionary key pointing at a null value
/// counts).
pub fn null_mask(array: &dyn Array) -> BooleanBuffer {
    match array.logical_nulls() {
        Some(nulls) => !nulls.inner(),
        None => BooleanBuffer::new_unset(array.len()),
    }
}

/// Rows whose cell is not null.
pub fn valid_mask(array: &dyn Array) -> BooleanBuffer {
    match array.logical_nulls() {
        Some(nulls) => nulls.inner().clone(),
        None => BooleanBuffer::new_set(array.len()),
    }
}

/// `bits & valid`, where `valid` is the array's own validity (not the logical one).
fn and_valid(bits: BooleanBuffer, nulls: Option<&arrow::buffer::NullBuffer>) -> BooleanBuffer {
    match nulls {
        Some(nulls) => &bits & nulls.inner(),
        None => bits,
    }
}

/// The kernel over a column. String patterns and [`Kernel::FieldRef`] are handled by
/// the caller, which owns the fused matchers and both columns.
pub fn eval(kernel: &Kernel, array: &ArrayRef) -> Result<BooleanBuffer, ArrowError> {
    match kernel {
        Kernel::Null => return Ok(null_mask(array.as_ref())),
        Kernel::NotNull => return Ok(valid_mask(array.as_ref())),
        _ => {}
    }
    match (kernel, array.data_type()) {
        (_, DataType::Dictionary(key, _)) if **key == DataType::Int32 => {
            let dict = array.as_dictionary::<Int32Type>();
            let on_values = eval(kernel, dict.values())?;
            Ok(gather(dict.keys(), &on_values))
        }
        (_, DataType::Utf8) => Ok(on_strings(kernel, array.as_string::<i32>())),
        (Kernel::Bool(want), DataType::Boolean) => {
            let values = array.as_boolean();
            let bits = if *want {
                values.values().clone()
            } else {
                !values.values()
            };
            Ok(and_valid(bits, values.nulls()))
        }
        (Kernel::Num { op, value }, data_type) if integer_like(data_type) => {
            let (op, value) = (*op, *value);
            Ok(match data_type {
                DataType::UInt8 => int_kernel::<UInt8Type>(array, op, value),
                DataType::UInt16 => int_kernel::<UInt16Type>(array, op, value),
                DataType::UInt32 => int_kernel::<UInt32Type>(array, op, value),
                DataType::UInt64 => int_kernel::<UInt64Type>(array, op, value),
                DataType::Int8 => int_kernel::<Int8Type>(array, op, value),
                DataType::Int16 => int_kernel::<Int16Type>(array, op, value),
                DataType::Int32 => int_kernel::<Int32Type>(array, op, value),
                DataType::Int64 => int_kernel::<Int64Type>(array, op, value),
                DataType::Timestamp(TimeUnit::Second, _) => {
                    int_kernel::<TimestampSecondType>(array, op, value)
                }
                DataType::Timestamp(TimeUnit::Millisecond, _) => {
                    int_kernel::<TimestampMillisecondType>(array, op, value)
                }
                DataType::Timestamp(TimeUnit::Microsecond, _) => {
                    int_kernel::<TimestampMicrosecondType>(array, op, value)
                }
                _ => int_kernel::<TimestampNanosecondType>(array, op, value),
            })
        }
        _ => {
            let text = cast(array, &DataType::Utf8)?;
            Ok(on_strings(kernel, text.as_string::<i32>()))
        }
    }
}

/// Types whose values are integers and compare exactly as such.
fn integer_like(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
            | DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::Timestamp(_, _)
    )
}

/// An integer comparison with the operator and an integer operand fixed outside the
/// row loop, so the loop is a plain compare the compiler can vectorise.
fn int_kernel<T>(array: &ArrayRef, op: CmpOp, value: Number) -> BooleanBuffer
where
    T: ArrowPrimitiveType,
    T::Native: Into<i128>,
{
    match (op, value) {
        (CmpOp::Eq, Number::Int(n)) => ints::<T>(array, |x| x.into() == n),
        (CmpOp::Lt, Number::Int(n)) => ints::<T>(array, |x| x.into() < n),
        (CmpOp::Lte, Number::Int(n)) => ints::<T>(array, |x| x.into() <= n),
        (CmpOp::Gt, Number::Int(n)) => ints::<T>(array, |x| x.into() > n),
        (CmpOp::Gte, Number::Int(n)) => ints::<T>(array, |x| x.into() >= n),
        (op, value) => ints::<T>(array, |x| value.test_int(op, x.into())),
    }
}

fn ints<T: ArrowPrimitiveType>(array: &ArrayRef, f: impl Fn(T::Native) -> bool) -> BooleanBuffer {
    let array: &PrimitiveArray<T> = array.as_primitive();
    let values = array.values();
    and_valid(collect(values.len(), |i| f(values[i])), array.nulls())
}

/// `mask[i] = key[i] is valid && on_values[key[i]]`: the per-row cost of a dictionary
/// column is one lookup, whatever the kernel.
///
/// # Performance
///
/// No value matching (the common case for a selective test) costs nothing per row;
/// one value matching is a compare of the keys (vectorised); otherwise the keys map
/// through a byte per value. Validity is one AND over 64 rows at a time.
pub fn gather(keys: &PrimitiveArray<Int32Type>, on_values: &BooleanBuffer) -> BooleanBuffer {
    let k = keys.values();
    let bits = match on_values.count_set_bits() {
        0 => return BooleanBuffer::new_unset(k.len()),
        1 => {
            let only = on_values.set_indices().next().unwrap_or_default() as i32;
            collect(k.len(), |i| k[i] == only)
        }
        _ => {
            let lookup: Vec<bool> = on_values.iter().collect();
            // A key outside the dictionary (only possible under a null) reads `false`.
            collect(k.len(), |i| {
                lookup.get(k[i] as u32 as usize).copied().unwrap_or(false)
            })
        }
    };
    and_valid(bits, keys.nulls())
}

/// A string kernel over every valid value.
fn strings(array: &StringArray, mut f: impl FnMut(&[u8]) -> bool) -> BooleanBuffer {
    let offsets = array.value_offsets();
    let data = array.value_data();
    let value = |i: usize| &data[offsets[i] as usize..offsets[i + 1] as usize];
    match array.nulls() {
        None => collect(array.len(), |i| f(value(i))),
        Some(nulls) => collect(array.len(), |i| nulls.is_valid(i) && f(value(i))),
    }
}

fn on_strings(kernel: &Kernel, array: &StringArray) -> BooleanBuffer {
    match kernel {
        Kernel::Num { op, value } => {
            let (op, value) = (*op, *value);
            strings(array, |s| {
                std::str::from_utf8(s)
                    .ok()
                    .and_then(Number::parse)
                    .is_some_and(|cell| value.test(op, cell))
            })
        }
        Kernel::Bool(want) => {
            let text: &[u8] = if *want { b"true" } else { b"false" };
            strings(array, |s| s.eq_ignore_ascii_case(text))
        }
        Kernel::Cidr(ranges) => strings(array, |s| {
            std::str::from_utf8(s)
                .ok()
                .and_then(parse_ip_key)
                .is_some_and(|key| in_ranges(&ranges.wide, key))
        }),
        Kernel::Null => null_mask(array),
        Kernel::NotNull => valid_mask(array),
        // Evaluated by the caller: the column's fused matcher, or `field_ref` over
        // two columns.
        Kernel::Str { .. } | Kernel::FieldRef { .. } => BooleanBuffer::new_unset(array.len()),
    }
}

/// Every row's address as an integer key, and which rows hold an address at all;
/// computed once per column and batch and shared by all CIDR leaves on it.
///
/// When every address in the column is IPv4 (the usual case) the keys are `u32`, so
/// that a range test is one subtraction and compare per row; otherwise they are the
/// `u128` keys of [`crate::ir::ip_key`].
#[derive(Debug, Clone)]
pub struct IpKeys {
    keys: Keys,
    valid: BooleanBuffer,
}

#[derive(Debug, Clone)]
enum Keys {
    V4(Vec<u32>),
    Wide(Vec<u128>),
}

impl IpKeys {
    /// Parses each valid string once.
    pub fn new(array: &StringArray) -> IpKeys {
        let mut v4 = vec![0u32; array.len()];
        let mut wide = false;
        let valid = collect(array.len(), |i| {
            if wide || array.is_null(i) {
                return false;
            }
            let text = array.value(i);
            let key = parse_ipv4(text.as_bytes()).or_else(|| {
                let key = parse_ip_key(text)?;
                if V4_MAPPED.contains(key) {
                    Some((key - V4_MAPPED.first) as u32)
                } else {
                    wide = true;
                    None
                }
            });
            key.inspect(|&key| v4[i] = key).is_some()
        });
        if !wide {
            return IpKeys {
                keys: Keys::V4(v4),
                valid,
            };
        }
        let mut keys = vec![0u128; array.len()];
        let valid = collect(array.len(), |i| {
            let key = array
                .is_valid(i)
                .then(|| parse_ip_key(array.value(i)))
                .flatten();
            key.inspect(|&key| keys[i] = key).is_some()
        });
        IpKeys {
            keys: Keys::Wide(keys),
            valid,
        }
    }

    /// Rows whose address is inside one of the ranges.
    pub fn in_ranges(&self, ranges: &CidrRanges) -> BooleanBuffer {
        let bits = match &self.keys {
            Keys::V4(keys) => match ranges.v4.as_slice() {
                [] => return BooleanBuffer::new_unset(keys.len()),
                // A few ranges: each tested against the whole column in a loop the
                // compiler vectorises, then the hits packed into bits once.
                few if few.len() <= LINEAR_RANGES => {
                    let mut hits = vec![false; keys.len()];
                    for &(first, span) in few {
                        for (hit, &key) in hits.iter_mut().zip(keys) {
                            *hit |= key.wrapping_sub(first) <= span;
                        }
                    }
                    collect(keys.len(), |i| hits[i])
                }
                many => collect(keys.len(), |i| {
                    let key = keys[i];
                    let at = many.partition_point(|&(first, span)| first + span < key);
                    many.get(at).is_some_and(|&(first, _)| first <= key)
                }),
            },
            Keys::Wide(keys) => collect(keys.len(), |i| in_ranges(&ranges.wide, keys[i])),
        };
        &bits & &self.valid
    }
}

/// Up to this many ranges are tested one by one; more are binary-searched.
const LINEAR_RANGES: usize = 8;

/// Parses a dotted-quad IPv4 address exactly as `std` does (four decimal parts of one
/// to three digits, each at most 255, no leading zeros); `None` for anything else,
/// which the caller then hands to the full parser.
pub fn parse_ipv4(text: &[u8]) -> Option<u32> {
    // One pass over the bytes; this runs for every address of every batch that a CIDR
    // rule reads.
    let (mut address, mut value, mut digits, mut dots) = (0u32, 0u32, 0u32, 0u32);
    for &byte in text {
        match byte {
            b'0'..=b'9' => {
                // A fourth digit, or any digit after a leading zero, is not a part.
                if digits == 3 || (digits == 1 && value == 0) {
                    return None;
                }
                value = value * 10 + u32::from(byte - b'0');
                digits += 1;
            }
            b'.' if digits > 0 && value <= 255 && dots < 3 => {
                address = address << 8 | value;
                (value, digits) = (0, 0);
                dots += 1;
            }
            _ => return None,
        }
    }
    (dots == 3 && digits > 0 && value <= 255).then_some(address << 8 | value)
}

/// Binary search in sorted, disjoint ranges.
pub fn in_ranges(ranges: &[crate::ir::IpRange], key: u128) -> bool {
    let i = ranges.partition_point(|r| r.last < key);
    ranges.get(i).is_some_and(|r| r.first <= key)
}

/// Row-wise equality of the text of two columns.
pub fn field_ref(
    left: &ArrayRef,
    right: &ArrayRef,
    cased: bool,
) -> Result<BooleanBuffer, ArrowError> {
    let left = cast(left, &DataType::Utf8)?;
    let right = cast(right, &DataType::Utf8)?;
    let (l, r) = (left.as_string::<i32>(), right.as_string::<i32>());
    Ok(collect(l.len(), |i| {
        l.is_valid(i) && r.is_valid(i) && {
            let (a, b) = (l.value(i).as_bytes(), r.value(i).as_bytes());
            if cased {
                a == b
            } else {
                a.eq_ignore_ascii_case(b)
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;
    use std::sync::Arc;

    use arrow::array::{DictionaryArray, Int32Array, StringArray, UInt16Array};
    use proptest::prelude::*;

    use super::*;
    use crate::ir::{CmpOp, IpRange};

    fn bits(b: &BooleanBuffer) -> Vec<bool> {
        b.iter().collect()
    }

    #[test]
    fn dictionary_evaluates_values_then_gathers() {
        let dict: DictionaryArray<Int32Type> = vec![Some("22"), None, Some("443"), Some("22")]
            .into_iter()
            .collect();
        let array: ArrayRef = Arc::new(dict);
        let k = Kernel::Num {
            op: CmpOp::Lt,
            value: Number::Int(100),
        };
        assert_eq!(bits(&eval(&k, &array).unwrap()), [true, false, false, true]);
        assert_eq!(
            bits(&eval(&Kernel::Null, &array).unwrap()),
            [false, true, false, false]
        );
    }

    #[test]
    fn integers_compare_natively_and_strings_parse() {
        let ports: ArrayRef = Arc::new(UInt16Array::from(vec![Some(22), None, Some(443)]));
        let k = Kernel::Num {
            op: CmpOp::Lt,
            value: Number::Int(1024),
        };
        assert_eq!(bits(&eval(&k, &ports).unwrap()), [true, false, true]);
        let text: ArrayRef = Arc::new(StringArray::from(vec![Some("22"), Some("x"), Some("2048")]));
        assert_eq!(bits(&eval(&k, &text).unwrap()), [true, false, false]);
        let codes: ArrayRef = Arc::new(Int32Array::from(vec![4625, 4624]));
        let k = Kernel::Num {
            op: CmpOp::Eq,
            value: Number::Int(4625),
        };
        assert_eq!(bits(&eval(&k, &codes).unwrap()), [true, false]);
    }

    fn cidr(ranges: &[&str]) -> CidrRanges {
        let ranges: Vec<IpRange> = ranges.iter().map(|r| IpRange::parse(r).unwrap()).collect();
        CidrRanges::new(&ranges)
    }

    #[test]
    fn cidr_and_field_ref() {
        let ips: ArrayRef = Arc::new(StringArray::from(vec![
            Some("10.1.2.3"),
            Some("fd00::1"),
            Some("junk"),
            None,
        ]));
        let ranges = cidr(&["10.0.0.0/8", "fd00::/8"]);
        let kernel = Kernel::Cidr(ranges.clone());
        assert_eq!(
            bits(&eval(&kernel, &ips).unwrap()),
            [true, true, false, false]
        );
        let keys = IpKeys::new(ips.as_string::<i32>());
        assert_eq!(bits(&keys.in_ranges(&ranges)), [true, true, false, false]);
        let a: ArrayRef = Arc::new(StringArray::from(vec![Some("Bob"), Some("x"), None]));
        let b: ArrayRef = Arc::new(StringArray::from(vec![Some("bob"), Some("y"), None]));
        assert_eq!(
            bits(&field_ref(&a, &b, false).unwrap()),
            [true, false, false]
        );
        assert_eq!(
            bits(&field_ref(&a, &b, true).unwrap()),
            [false, false, false]
        );
    }

    #[test]
    fn ipv4_keys_include_mapped_addresses() {
        let ips = StringArray::from(vec![
            Some("::ffff:10.0.0.1"),
            Some("10.0.0.2"),
            Some("01.2.3.4"),
        ]);
        let keys = IpKeys::new(&ips);
        assert!(
            matches!(keys.keys, Keys::V4(_)),
            "all IPv4: the narrow view"
        );
        assert_eq!(
            bits(&keys.in_ranges(&cidr(&["10.0.0.0/30"]))),
            [true, true, false]
        );
    }

    #[test]
    fn gather_handles_nulls_and_out_of_range_keys() {
        // Key 7 is out of range for three values; it sits under a null.
        let keys = Int32Array::from(vec![Some(0), None, Some(2), Some(1)]);
        let keys = Int32Array::new(vec![0, 7, 2, 1].into(), keys.nulls().cloned());
        let one = BooleanBuffer::from(vec![false, false, true]);
        assert_eq!(bits(&gather(&keys, &one)), [false, false, true, false]);
        let two = BooleanBuffer::from(vec![true, false, true]);
        assert_eq!(bits(&gather(&keys, &two)), [true, false, true, false]);
        let none = BooleanBuffer::from(vec![false, false, false]);
        assert_eq!(bits(&gather(&keys, &none)), [false, false, false, false]);
    }

    fn address() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => (0u8..4, 0u8..=255, any::<u8>(), any::<u8>())
                .prop_map(|(a, b, c, d)| format!("10.{a}{b}.{c}.{d}")),
            4 => any::<u32>().prop_map(|a| Ipv4Addr::from(a).to_string()),
            1 => any::<u32>().prop_map(|a| format!("::ffff:{}", Ipv4Addr::from(a))),
            1 => any::<u128>().prop_map(|a| std::net::Ipv6Addr::from(a).to_string()),
            1 => "[0-9.]{0,16}",
        ]
    }

    fn range() -> impl Strategy<Value = IpRange> {
        prop_oneof![
            (any::<u32>(), 0u8..=32).prop_map(|(a, bits)| {
                IpRange::parse(&format!(
                    "{}/{bits}",
                    Ipv4Addr::from(a & !(u32::MAX.checked_shr(u32::from(bits)).unwrap_or(0)))
                ))
                .unwrap()
            }),
            (any::<u128>(), 0u8..=128).prop_map(|(a, bits)| {
                let a = a & !(u128::MAX.checked_shr(u32::from(bits)).unwrap_or(0));
                IpRange::parse(&format!("{}/{bits}", std::net::Ipv6Addr::from(a))).unwrap()
            }),
        ]
    }

    proptest! {
        /// The fast IPv4 parser accepts exactly what `std` accepts, with the same value.
        #[test]
        fn ipv4_parse_agrees_with_std(text in prop_oneof![
            address(),
            "[0-9]{1,4}\\.[0-9]{1,4}\\.[0-9]{1,4}\\.[0-9]{1,4}",
            "[0-9.]{0,17}",
            "0*[0-9]{1,3}(\\.0*[0-9]{1,3}){2,4}\\.?",
        ]) {
            let std = text.parse::<Ipv4Addr>().ok().map(u32::from);
            prop_assert_eq!(parse_ipv4(text.as_bytes()), std);
        }

        /// Range tests over either key view agree with a per-row parse and search.
        #[test]
        fn ip_keys_agree_with_per_row_search(
            cells in proptest::collection::vec(proptest::option::of(address()), 1..80),
            ranges in proptest::collection::vec(range(), 0..12),
        ) {
            let ranges = CidrRanges::new(&ranges);
            let array = StringArray::from(cells.clone());
            let got = bits(&IpKeys::new(&array).in_ranges(&ranges));
            let want: Vec<bool> = cells
                .iter()
                .map(|c| {
                    c.as_deref()
                        .and_then(parse_ip_key)
                        .is_some_and(|k| ranges.wide.iter().any(|r| r.contains(k)))
                })
                .collect();
            prop_assert_eq!(got, want);
        }

        /// A gather equals the per-row lookup.
        #[test]
        fn gather_agrees_with_per_row_lookup(
            keys in proptest::collection::vec(proptest::option::of(0i32..6), 0..200),
            on_values in proptest::collection::vec(any::<bool>(), 6),
        ) {
            let array = Int32Array::from(keys.clone());
            let values = BooleanBuffer::from(on_values.clone());
            let want: Vec<bool> = keys
                .iter()
                .map(|k| k.is_some_and(|k| on_values[k as usize]))
                .collect();
            prop_assert_eq!(bits(&gather(&array, &values)), want);
        }
    }
}
