//! `.npy` files (NumPy format 1.0–3.0, C order): f32, f64, f16, bf16 (ml_dtypes' `<V2`),
//! i8/i16/i32/i64, u8 and bool. f64 is read as f32 (exact for bf16 and f32 data); i64 must
//! fit i32.

use std::path::Path;

use crate::array::HostArray;
use crate::error::{Error, Result};
use crate::exec::Data;
use crate::types::Elem;

fn err(path: &Path, message: impl Into<String>) -> Error {
    Error::Npy {
        path: path.display().to_string(),
        message: message.into(),
    }
}

/// Reads one array; `<V2` (ml_dtypes bfloat16) reads as bf16.
pub fn read(path: &Path) -> Result<HostArray> {
    let bytes = std::fs::read(path).map_err(|e| err(path, e.to_string()))?;
    parse(&bytes).map_err(|m| err(path, m))
}

fn field<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let at = header.find(&format!("'{key}'"))? + key.len() + 2;
    Some(header[at..].trim_start().strip_prefix(':')?.trim_start())
}

pub fn parse(bytes: &[u8]) -> Result<HostArray, String> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err("not an .npy file".into());
    }
    let (len, start) = if bytes[6] == 1 {
        (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10)
    } else {
        (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        )
    };
    let header = std::str::from_utf8(bytes.get(start..start + len).ok_or("truncated header")?)
        .map_err(|_| "header is not text")?;
    let descr = field(header, "descr").ok_or("no descr")?;
    let descr = descr[1..].split(['\'', '"']).next().ok_or("bad descr")?;
    if field(header, "fortran_order").is_some_and(|v| v.starts_with("True")) {
        return Err("Fortran-order arrays are not supported; save with C order".into());
    }
    let shape_text = field(header, "shape").ok_or("no shape")?;
    let shape_text = &shape_text[1..shape_text.find(')').ok_or("bad shape")?];
    let shape: Vec<usize> = shape_text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(|_| format!("bad dim `{s}`")))
        .collect::<Result<_, _>>()?;
    let n: usize = shape.iter().product();
    let body = &bytes[start + len..];
    let (kind, width) = descr.split_at(descr.len().min(2));
    let width: usize = width
        .parse()
        .map_err(|_| format!("unsupported dtype `{descr}`"))?;
    if body.len() < n * width {
        return Err(format!(
            "{} bytes of data for {n} elements of `{descr}`",
            body.len()
        ));
    }
    if kind.starts_with('>') {
        return Err(format!("big-endian dtype `{descr}`"));
    }
    let chunks = body.chunks_exact(width).take(n);
    let kind = &kind[1..];
    let array = match (kind, width) {
        ("f", 4) => HostArray::floats(
            Elem::F32,
            shape,
            chunks
                .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
                .collect(),
        ),
        ("f", 8) => HostArray::floats(
            Elem::F32,
            shape,
            chunks
                .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")) as f32)
                .collect(),
        ),
        ("f", 2) => HostArray::floats(
            Elem::F16,
            shape,
            chunks
                .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
        ),
        ("V", 2) => HostArray::floats(
            Elem::Bf16,
            shape,
            chunks
                .map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
        ),
        ("i", 1) => HostArray::ints(
            Elem::Int(8),
            shape,
            chunks.map(|c| i32::from(c[0] as i8)).collect(),
        ),
        ("u", 1) => HostArray::ints(
            Elem::Int(32),
            shape,
            chunks.map(|c| i32::from(c[0])).collect(),
        ),
        ("b", 1) => HostArray::ints(
            Elem::Int(1),
            shape,
            chunks.map(|c| i32::from(c[0] != 0)).collect(),
        ),
        ("i", 2) => HostArray::ints(
            Elem::Int(16),
            shape,
            chunks
                .map(|c| i32::from(i16::from_le_bytes([c[0], c[1]])))
                .collect(),
        ),
        ("i", 4) => HostArray::ints(
            Elem::Int(32),
            shape,
            chunks
                .map(|c| i32::from_le_bytes(c.try_into().expect("4 bytes")))
                .collect(),
        ),
        ("i", 8) => {
            let values: Vec<i64> = chunks
                .map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")))
                .collect();
            let narrow = values
                .iter()
                .map(|v| i32::try_from(*v).map_err(|_| format!("int64 value {v} does not fit i32")))
                .collect::<Result<_, _>>()?;
            HostArray::ints(Elem::Int(32), shape, narrow)
        }
        _ => {
            return Err(format!(
                "unsupported dtype `{descr}` (use f32, f64, bf16, int8/16/32/64 or bool)"
            ))
        }
    };
    Ok(array)
}

/// Writes `array` as `.npy`: floats as f32 (bf16 values exactly), integers as i32 (`i1` as bool).
pub fn write(path: &Path, array: &HostArray) -> Result<()> {
    let (descr, body): (&str, Vec<u8>) = match &array.data {
        Data::F(v) => ("<f4", v.iter().flat_map(|x| x.to_le_bytes()).collect()),
        Data::I(v) if array.elem == Elem::Int(1) => {
            ("|b1", v.iter().map(|x| u8::from(*x != 0)).collect())
        }
        Data::I(v) => ("<i4", v.iter().flat_map(|x| x.to_le_bytes()).collect()),
    };
    let dims: Vec<String> = array.shape.iter().map(usize::to_string).collect();
    let shape = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    let pad = 64 - (10 + header.len() + 1) % 64;
    header.push_str(&" ".repeat(pad % 64));
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((header.len() as u16).to_le_bytes());
    out.extend(header.as_bytes());
    out.extend(body);
    std::fs::write(path, out).map_err(|e| err(path, e.to_string()))
}

/// The `.npy` files of a directory in file-name order.
pub fn files_in(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| err(dir, e.to_string()))?;
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "npy"))
        .collect();
    files.sort();
    Ok(files)
}
