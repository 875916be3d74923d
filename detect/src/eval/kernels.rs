//! Array kernels: one leaf over one column, producing a null-free mask.
//!
//! The array's shape is matched once per call, and the per-row loop is a monomorphised
//! closure over plain buffers:
//!
//! ```text
//! dictionary column:  mask_values = kernel(dictionary values)      // once per distinct value
//!                     mask[i]     = key[i] valid && mask_values[key[i]]
//! string column:      mask[i]     = valid[i] && kernel(value[i])
//! integer column:     mask[i]     = valid[i] && value[i] op n       // no parsing
//! anything else:      cast to Utf8 once, then the string path
//! ```
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

use crate::compile::Kernel;
use crate::ir::{CmpOp, IpRange, Number, parse_ip_key};

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

/// The kernel over a column. [`Kernel::FieldRef`] is handled by the caller, which owns
/// both columns.
pub fn eval(
    kernel: &Kernel,
    array: &ArrayRef,
    fold: &mut Vec<u8>,
) -> Result<BooleanBuffer, ArrowError> {
    match kernel {
        Kernel::Null => return Ok(null_mask(array.as_ref())),
        Kernel::NotNull => return Ok(valid_mask(array.as_ref())),
        _ => {}
    }
    match (kernel, array.data_type()) {
        (_, DataType::Dictionary(key, _)) if **key == DataType::Int32 => {
            let dict = array.as_dictionary::<Int32Type>();
            let on_values = eval(kernel, dict.values(), fold)?;
            Ok(gather(dict.keys(), &on_values))
        }
        (_, DataType::Utf8) => Ok(on_strings(kernel, array.as_string::<i32>(), fold)),
        (Kernel::Bool(want), DataType::Boolean) => {
            let values = array.as_boolean();
            let bits = if *want {
                values.values().clone()
            } else {
                !values.values()
            };
            Ok(match values.nulls() {
                Some(nulls) => &bits & nulls.inner(),
                None => bits,
            })
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
            Ok(on_strings(kernel, text.as_string::<i32>(), fold))
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
    match array.nulls() {
        None => collect(values.len(), |i| f(values[i])),
        Some(nulls) => collect(values.len(), |i| nulls.is_valid(i) && f(values[i])),
    }
}

/// `mask[i] = key[i] is valid && on_values[key[i]]`: the per-row cost of a dictionary
/// column is one gather, whatever the kernel.
fn gather(keys: &PrimitiveArray<Int32Type>, on_values: &BooleanBuffer) -> BooleanBuffer {
    let k = keys.values();
    let n = on_values.len();
    // The common case for a selective test: no distinct value matches, so no row does.
    if on_values.count_set_bits() == 0 {
        return BooleanBuffer::new_unset(k.len());
    }
    let hit = |i: usize| {
        let key = k[i] as usize;
        key < n && on_values.value(key)
    };
    match keys.nulls() {
        None => collect(k.len(), hit),
        Some(nulls) => collect(k.len(), |i| nulls.is_valid(i) && hit(i)),
    }
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

fn on_strings(kernel: &Kernel, array: &StringArray, fold: &mut Vec<u8>) -> BooleanBuffer {
    match kernel {
        Kernel::Str(matcher) => strings(array, |s| matcher.is_match(s, fold)),
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
                .is_some_and(|key| in_ranges(ranges, key))
        }),
        Kernel::Null => null_mask(array),
        Kernel::NotNull => valid_mask(array),
        // Needs two columns; the caller evaluates it with `field_ref`.
        Kernel::FieldRef { .. } => BooleanBuffer::new_unset(array.len()),
    }
}

/// Every row's address as an integer key, and which rows hold an address at all;
/// computed once per column and batch and shared by all CIDR leaves on it.
#[derive(Debug, Clone)]
pub struct IpKeys {
    keys: Vec<u128>,
    valid: BooleanBuffer,
}

impl IpKeys {
    /// Parses each valid string once.
    pub fn new(array: &StringArray) -> IpKeys {
        let mut keys = vec![0u128; array.len()];
        let valid = collect(array.len(), |i| {
            match array
                .is_valid(i)
                .then(|| parse_ip_key(array.value(i)))
                .flatten()
            {
                Some(key) => {
                    keys[i] = key;
                    true
                }
                None => false,
            }
        });
        IpKeys { keys, valid }
    }

    /// Rows whose address is inside one of the (sorted, merged) ranges.
    pub fn in_ranges(&self, ranges: &[IpRange]) -> BooleanBuffer {
        collect(self.keys.len(), |i| {
            self.valid.value(i) && in_ranges(ranges, self.keys[i])
        })
    }
}

/// Binary search in sorted, disjoint ranges.
pub fn in_ranges(ranges: &[IpRange], key: u128) -> bool {
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
    use std::sync::Arc;

    use arrow::array::{DictionaryArray, Int32Array, StringArray, UInt16Array};

    use super::*;
    use crate::compile::matcher::StrMatcher;
    use crate::ir::{CmpOp, Piece, StrPattern};

    fn bits(b: &BooleanBuffer) -> Vec<bool> {
        b.iter().collect()
    }

    fn exact(s: &str) -> Kernel {
        Kernel::Str(StrMatcher::new(&[StrPattern::glob([Piece::Lit(s.into())], false)]).unwrap())
    }

    #[test]
    fn dictionary_evaluates_values_then_gathers() {
        let dict: DictionaryArray<Int32Type> =
            vec![Some("deny"), None, Some("allow"), Some("DENY")]
                .into_iter()
                .collect();
        let array: ArrayRef = Arc::new(dict);
        assert_eq!(
            bits(&eval(&exact("deny"), &array, &mut Vec::new()).unwrap()),
            [true, false, false, true]
        );
        assert_eq!(
            bits(&eval(&Kernel::Null, &array, &mut Vec::new()).unwrap()),
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
        assert_eq!(
            bits(&eval(&k, &ports, &mut Vec::new()).unwrap()),
            [true, false, true]
        );
        let text: ArrayRef = Arc::new(StringArray::from(vec![Some("22"), Some("x"), Some("2048")]));
        assert_eq!(
            bits(&eval(&k, &text, &mut Vec::new()).unwrap()),
            [true, false, false]
        );
        // A string pattern on an integer column matches its decimal text.
        assert_eq!(
            bits(&eval(&exact("443"), &ports, &mut Vec::new()).unwrap()),
            [false, false, true]
        );
        let codes: ArrayRef = Arc::new(Int32Array::from(vec![4625, 4624]));
        let k = Kernel::Num {
            op: CmpOp::Eq,
            value: Number::Int(4625),
        };
        assert_eq!(
            bits(&eval(&k, &codes, &mut Vec::new()).unwrap()),
            [true, false]
        );
    }

    #[test]
    fn cidr_and_field_ref() {
        let ips: ArrayRef = Arc::new(StringArray::from(vec![
            Some("10.1.2.3"),
            Some("fd00::1"),
            Some("junk"),
            None,
        ]));
        let ranges = vec![
            IpRange::parse("10.0.0.0/8").unwrap(),
            IpRange::parse("fd00::/8").unwrap(),
        ];
        let mut ranges = ranges;
        ranges.sort();
        assert_eq!(
            bits(&eval(&Kernel::Cidr(ranges), &ips, &mut Vec::new()).unwrap()),
            [true, true, false, false]
        );
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
}
