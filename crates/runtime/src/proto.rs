//! The few protobuf wire-format pieces the runtime needs, written by hand so that no `.proto`
//! file from XLA and no protoc are involved.

/// Appends protobuf fields to a byte buffer.
#[derive(Default)]
pub(crate) struct Writer {
    bytes: Vec<u8>,
}

impl Writer {
    fn varint(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.bytes.push((value as u8) | 0x80);
            value >>= 7;
        }
        self.bytes.push(value as u8);
    }

    fn key(&mut self, field: u32, wire_type: u8) {
        self.varint((u64::from(field) << 3) | u64::from(wire_type));
    }

    pub(crate) fn int(&mut self, field: u32, value: i64) -> &mut Self {
        self.key(field, 0);
        self.varint(value as u64);
        self
    }

    pub(crate) fn bool(&mut self, field: u32, value: bool) -> &mut Self {
        self.int(field, i64::from(value))
    }

    pub(crate) fn double(&mut self, field: u32, value: f64) -> &mut Self {
        self.key(field, 1);
        self.bytes.extend_from_slice(&value.to_le_bytes());
        self
    }

    pub(crate) fn bytes(&mut self, field: u32, value: &[u8]) -> &mut Self {
        self.key(field, 2);
        self.varint(value.len() as u64);
        self.bytes.extend_from_slice(value);
        self
    }

    pub(crate) fn message(&mut self, field: u32, message: &Writer) -> &mut Self {
        self.bytes(field, &message.bytes)
    }

    pub(crate) fn finish(&self) -> Vec<u8> {
        self.bytes.clone()
    }
}

/// The first length-delimited field `field` of a serialized message, if any.
/// Returns `None` on malformed input rather than panicking.
pub(crate) fn find_bytes(mut input: &[u8], field: u32) -> Option<&[u8]> {
    fn varint(input: &mut &[u8]) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = input.split_first()?;
            *input = rest;
            value |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Some(value);
            }
        }
        None
    }
    while !input.is_empty() {
        let key = varint(&mut input)?;
        let (number, wire_type) = ((key >> 3) as u32, key & 7);
        match wire_type {
            0 => {
                varint(&mut input)?;
            }
            1 => input = input.get(8..)?,
            5 => input = input.get(4..)?,
            2 => {
                let len = usize::try_from(varint(&mut input)?).ok()?;
                let value = input.get(..len)?;
                input = &input[len..];
                if number == field {
                    return Some(value);
                }
            }
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn encodes_the_minimal_compile_options_seen_in_design() {
        let mut build = Writer::default();
        build.int(4, 1).int(5, 1);
        assert_eq!(
            Writer::default().message(3, &build).finish(),
            [0x1a, 0x04, 0x20, 0x01, 0x28, 0x01]
        );
    }

    #[test]
    fn encodes_multi_byte_keys_and_varints() {
        let mut w = Writer::default();
        w.bool(19, true).int(1, 300);
        assert_eq!(w.finish(), [0x98, 0x01, 0x01, 0x08, 0xac, 0x02]);
    }

    #[test]
    fn finds_a_nested_field() {
        let mut inner = Writer::default();
        inner.bytes(1, b"hlo");
        let mut outer = Writer::default();
        outer.int(2, 5).double(3, 1.0).message(1, &inner);
        let bytes = outer.finish();
        assert_eq!(
            find_bytes(find_bytes(&bytes, 1).unwrap(), 1),
            Some(&b"hlo"[..])
        );
        assert_eq!(find_bytes(&bytes, 9), None);
    }

    proptest! {
        #[test]
        fn never_panics_on_garbage(bytes in proptest::collection::vec(any::<u8>(), 0..64), field in 0u32..20) {
            let _ = find_bytes(&bytes, field);
        }
    }
}
