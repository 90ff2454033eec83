//! Syntax tree → module IR: value numbering, result types, and one [`OpKind`] per op name
//! (serde `stable_mosaic.` prefix or not). An op without a rule is [`Error::UnknownOp`],
//! at load time, naming the op and its location.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::exec::{Data, Value, Vector};
use crate::module::{
    BinOp, Block, CastOp, DmaOperands, DotDims, Func, Module, Op, OpKind, ReduceKind, UnOp, ValueId,
};
use crate::text::{
    self, describe_location, Alias, Attr, BlockSyntax, DenseValues, FileSyntax, OpSyntax,
};
use crate::types::Type;

/// The prefix libtpu's serialized form puts on every op name.
pub const SERDE_PREFIX: &str = "stable_mosaic.";

/// Parses generic-form Mosaic text and decodes it.
pub fn load(text: &str) -> Result<Module> {
    let file = text::parse(text)?;
    decode(&file)
}

pub fn decode(file: &FileSyntax) -> Result<Module> {
    let mut tops: Vec<&OpSyntax> = Vec::new();
    for op in &file.ops {
        if plain_name(&op.name) == "builtin.module" {
            for region in &op.regions {
                for block in &region.blocks {
                    tops.extend(block.ops.iter());
                }
            }
        } else {
            tops.push(op);
        }
    }
    let mut funcs = Vec::new();
    for op in tops {
        let d = Decoder {
            aliases: &file.aliases,
            names: HashMap::new(),
            types: Vec::new(),
        };
        if plain_name(&op.name) != "func.func" {
            return Err(d.malformed(op, "only `func.func` ops may appear at module level"));
        }
        funcs.push(d.func(op)?);
    }
    Ok(Module { funcs })
}

fn plain_name(name: &str) -> &str {
    name.strip_prefix(SERDE_PREFIX).unwrap_or(name)
}

struct Decoder<'a> {
    aliases: &'a HashMap<String, Alias>,
    names: HashMap<String, ValueId>,
    types: Vec<Type>,
}

impl Decoder<'_> {
    fn location(&self, op: &OpSyntax) -> String {
        op.loc.as_deref().map_or_else(
            || "unknown location".to_string(),
            |l| describe_location(l, self.aliases),
        )
    }

    fn malformed(&self, op: &OpSyntax, message: impl Into<String>) -> Error {
        Error::Malformed {
            op: plain_name(&op.name).to_string(),
            location: self.location(op),
            line: op.line,
            message: message.into(),
        }
    }

    fn define(&mut self, name: &str, ty: Type) -> ValueId {
        let id = self.types.len() as ValueId;
        self.types.push(ty);
        self.names.insert(name.to_string(), id);
        id
    }

    fn func(mut self, op: &OpSyntax) -> Result<Func> {
        let name = match op.attr("sym_name") {
            Some(Attr::Str(s)) => s.clone(),
            _ => return Err(self.malformed(op, "func.func without sym_name")),
        };
        let (inputs, results) = match op.attr("function_type") {
            Some(Attr::Type(Type::Function { inputs, results })) => {
                (inputs.clone(), results.clone())
            }
            _ => return Err(self.malformed(op, "func.func without function_type")),
        };
        let [region] = op.regions.as_slice() else {
            return Err(self.malformed(op, "func.func needs one region"));
        };
        let [block] = region.blocks.as_slice() else {
            return Err(self.malformed(op, "func.func bodies must be one block"));
        };
        let body = self.block(block)?;
        let attrs = op
            .attrs
            .iter()
            .filter(|(k, _)| k != "function_type")
            .cloned()
            .collect();
        Ok(Func {
            name,
            attrs,
            inputs,
            results,
            body,
            num_values: self.types.len(),
        })
    }

    fn block(&mut self, block: &BlockSyntax) -> Result<Block> {
        let args = block
            .args
            .iter()
            .map(|(name, ty)| self.define(name, ty.clone()))
            .collect();
        let ops = block
            .ops
            .iter()
            .map(|op| self.op(op))
            .collect::<Result<Vec<_>>>()?;
        Ok(Block { args, ops })
    }

    fn op(&mut self, op: &OpSyntax) -> Result<Op> {
        let name = plain_name(&op.name).to_string();
        let operands =
            op.operands
                .iter()
                .map(|n| {
                    let key = n.strip_suffix("#0").unwrap_or(n);
                    self.names.get(key).copied().ok_or_else(|| {
                        self.malformed(op, format!("uses %{n} before any definition"))
                    })
                })
                .collect::<Result<Vec<_>>>()?;
        let Type::Function {
            inputs: operand_types,
            results: result_types,
        } = op.ty.clone()
        else {
            return Err(self.malformed(op, "the op's type is not a function type"));
        };
        if operand_types.len() != operands.len() {
            return Err(self.malformed(
                op,
                format!(
                    "{} operands but {} operand types",
                    operands.len(),
                    operand_types.len()
                ),
            ));
        }
        let regions = op
            .regions
            .iter()
            .map(|r| match r.blocks.as_slice() {
                [] => Ok(Block::default()),
                [b] => self.block(b),
                _ => Err(self.malformed(op, "regions with several blocks are not supported")),
            })
            .collect::<Result<Vec<_>>>()?;
        let kind = self.kind(op, &name, &operand_types, &result_types)?;
        let mut results = Vec::new();
        let mut types = result_types.iter();
        for (group, count) in &op.results {
            for i in 0..*count {
                let ty = types
                    .next()
                    .cloned()
                    .ok_or_else(|| self.malformed(op, "more results than result types"))?;
                let id = if *count == 1 {
                    self.define(group, ty)
                } else {
                    self.define(&format!("{group}#{i}"), ty)
                };
                if i == 0 && *count > 1 {
                    self.names.insert(group.clone(), id);
                }
                results.push(id);
            }
        }
        if results.len() != result_types.len() {
            return Err(self.malformed(
                op,
                format!(
                    "{} result names for {} result types",
                    results.len(),
                    result_types.len()
                ),
            ));
        }
        Ok(Op {
            kind,
            name,
            operands,
            results,
            result_types,
            operand_types,
            regions,
            location: self.location(op),
            line: op.line,
        })
    }

    fn ints(&self, op: &OpSyntax, key: &str) -> Result<Vec<i64>> {
        op.attr(key)
            .and_then(Attr::as_ints)
            .ok_or_else(|| self.malformed(op, format!("missing integer list `{key}`")))
    }

    fn usizes(&self, op: &OpSyntax, key: &str) -> Result<Vec<usize>> {
        self.ints(op, key)?
            .into_iter()
            .map(|v| {
                usize::try_from(v)
                    .map_err(|_| self.malformed(op, format!("negative entry in `{key}`")))
            })
            .collect()
    }

    fn int(&self, op: &OpSyntax, key: &str) -> Result<i64> {
        op.attr(key)
            .and_then(Attr::as_int)
            .ok_or_else(|| self.malformed(op, format!("missing integer `{key}`")))
    }

    fn flag(&self, op: &OpSyntax, key: &str) -> bool {
        op.attr(key).and_then(Attr::as_bool).unwrap_or(false)
    }

    fn segments(&self, op: &OpSyntax, n: usize) -> Result<Vec<usize>> {
        let seg = self.usizes(op, "operandSegmentSizes")?;
        if seg.len() != n {
            return Err(self.malformed(
                op,
                format!(
                    "operandSegmentSizes has {} entries, expected {n}",
                    seg.len()
                ),
            ));
        }
        Ok(seg)
    }

    fn kind(
        &self,
        op: &OpSyntax,
        name: &str,
        operand_types: &[Type],
        result_types: &[Type],
    ) -> Result<OpKind> {
        use BinOp as B;
        use UnOp as U;
        let (dialect, short) = name.split_once('.').unwrap_or(("", name));
        Ok(match (dialect, short) {
            ("arith", "constant") => OpKind::Constant(self.constant(op, result_types)?),
            ("arith", "addf") => OpKind::Binary(B::AddF),
            ("arith", "subf") => OpKind::Binary(B::SubF),
            ("arith", "mulf") => OpKind::Binary(B::MulF),
            ("arith", "divf") => OpKind::Binary(B::DivF),
            ("arith", "remf") => OpKind::Binary(B::RemF),
            ("arith", "maximumf") => OpKind::Binary(B::MaxF),
            ("arith", "minimumf") => OpKind::Binary(B::MinF),
            ("arith", "maxnumf") => OpKind::Binary(B::MaxNumF),
            ("arith", "minnumf") => OpKind::Binary(B::MinNumF),
            ("math", "powf") => OpKind::Binary(B::PowF),
            ("arith", "addi") => OpKind::Binary(B::AddI),
            ("arith", "subi") => OpKind::Binary(B::SubI),
            ("arith", "muli") => OpKind::Binary(B::MulI),
            ("arith", "divsi") => OpKind::Binary(B::DivSI),
            ("arith", "divui") => OpKind::Binary(B::DivUI),
            ("arith", "remsi") => OpKind::Binary(B::RemSI),
            ("arith", "remui") => OpKind::Binary(B::RemUI),
            ("arith", "ceildivsi") => OpKind::Binary(B::CeilDivSI),
            ("arith", "floordivsi") => OpKind::Binary(B::FloorDivSI),
            ("arith", "maxsi") => OpKind::Binary(B::MaxSI),
            ("arith", "minsi") => OpKind::Binary(B::MinSI),
            ("arith", "maxui") => OpKind::Binary(B::MaxUI),
            ("arith", "minui") => OpKind::Binary(B::MinUI),
            ("arith", "andi") => OpKind::Binary(B::AndI),
            ("arith", "ori") => OpKind::Binary(B::OrI),
            ("arith", "xori") => OpKind::Binary(B::XOrI),
            ("arith", "shli") => OpKind::Binary(B::ShLI),
            ("arith", "shrsi") => OpKind::Binary(B::ShRSI),
            ("arith", "shrui") => OpKind::Binary(B::ShRUI),
            ("arith", "negf") => OpKind::Unary(U::NegF),
            ("math", "exp") => OpKind::Unary(U::Exp),
            ("math", "exp2") => OpKind::Unary(U::Exp2),
            ("math", "log") => OpKind::Unary(U::Log),
            ("math", "log1p") => OpKind::Unary(U::Log1p),
            ("math", "sqrt") => OpKind::Unary(U::Sqrt),
            ("math", "rsqrt") => OpKind::Unary(U::Rsqrt),
            ("math", "tanh") => OpKind::Unary(U::Tanh),
            ("math", "absf") => OpKind::Unary(U::AbsF),
            ("math", "absi") => OpKind::Unary(U::AbsI),
            ("math", "floor") => OpKind::Unary(U::Floor),
            ("math", "ceil") => OpKind::Unary(U::Ceil),
            ("math", "sin") => OpKind::Unary(U::Sin),
            ("math", "cos") => OpKind::Unary(U::Cos),
            ("math", "erf") => OpKind::Unary(U::Erf),
            ("math", "roundeven") => OpKind::Unary(U::RoundEven),
            ("math", "round") => OpKind::Unary(U::Round),
            ("tpu", "reciprocal") => OpKind::Unary(U::Reciprocal),
            ("arith", "cmpi") => OpKind::CmpI(self.int(op, "predicate")?),
            ("arith", "cmpf") => OpKind::CmpF(self.int(op, "predicate")?),
            ("arith", "select") => OpKind::Select,
            ("arith", "extf") => OpKind::Cast(CastOp::ExtF),
            ("arith", "truncf") => OpKind::Cast(CastOp::TruncF),
            ("arith", "fptosi") => OpKind::Cast(CastOp::FpToSi),
            ("arith", "fptoui") => OpKind::Cast(CastOp::FpToUi),
            ("arith", "sitofp") => OpKind::Cast(CastOp::SiToFp),
            ("arith", "uitofp") => OpKind::Cast(CastOp::UiToFp),
            ("arith", "extui") => OpKind::Cast(CastOp::ExtUI),
            ("arith", "extsi") => OpKind::Cast(CastOp::ExtSI),
            ("arith", "trunci") => OpKind::Cast(CastOp::TruncI),
            ("arith", "index_cast") => OpKind::Cast(CastOp::IndexCast),
            ("arith", "index_castui") => OpKind::Cast(CastOp::IndexCastUI),
            ("arith", "bitcast") => OpKind::Cast(CastOp::Bitcast),
            ("vector", "load") => OpKind::VectorLoad,
            ("vector", "store") => OpKind::VectorStore,
            ("tpu", "vector_store") => {
                let seg = self.segments(op, 4)?;
                let strides = op
                    .attr("strides")
                    .and_then(Attr::as_ints)
                    .unwrap_or_default();
                OpKind::TpuVectorStore {
                    indices: seg[2],
                    masked: seg[3] == 1,
                    add: self.flag(op, "add"),
                    strides,
                }
            }
            ("memref", "load") => OpKind::MemrefLoad,
            ("memref", "store") => OpKind::MemrefStore,
            ("vector", "broadcast" | "splat") => OpKind::Broadcast,
            ("vector", "shape_cast") => OpKind::ShapeCast,
            ("vector", "extract") => {
                let position = self.ints(op, "static_position")?;
                if position.iter().any(|p| *p < 0) || operand_types.len() > 1 {
                    return Err(self.malformed(op, "dynamic extract positions are not supported"));
                }
                OpKind::Extract { position }
            }
            ("vector", "extract_strided_slice") => OpKind::ExtractStridedSlice {
                offsets: self.usizes(op, "offsets")?,
                strides: self.usizes(op, "strides")?,
            },
            ("vector", "multi_reduction") => {
                let kind = match op.attr("kind") {
                    Some(Attr::Dialect { body, .. }) => reduce_kind(body.trim()),
                    _ => None,
                };
                let kind = kind.ok_or_else(|| self.malformed(op, "unknown reduction kind"))?;
                OpKind::MultiReduction {
                    kind,
                    dims: self.usizes(op, "reduction_dims")?,
                }
            }
            ("vector" | "tpu", "transpose") => OpKind::Transpose {
                perm: self.usizes(op, "permutation")?,
            },
            ("tpu", "iota") => OpKind::Iota {
                dims: self.usizes(op, "dimensions")?,
            },
            ("tpu", "concatenate") => OpKind::Concatenate {
                dim: self.int(op, "dimension")? as usize,
            },
            ("tpu", "repeat") => OpKind::Repeat {
                dim: self.int(op, "dimension")? as usize,
                times: self.int(op, "times")? as usize,
            },
            ("tpu", "matmul") => OpKind::Matmul {
                dims: self.dot_dims(op, operand_types)?,
                transpose_lhs: self.flag(op, "transpose_lhs"),
                transpose_rhs: self.flag(op, "transpose_rhs"),
            },
            ("tpu", "memref_slice") => OpKind::MemrefSlice {
                offsets: self.segments(op, 3)?[1],
            },
            ("tpu", "memref_squeeze") => OpKind::MemrefSqueeze,
            ("tpu", "memref_reshape") => OpKind::MemrefReshape,
            ("tpu", "enqueue_dma") => {
                let seg = self.segments(op, 7)?;
                if seg[0] != 1 || seg[2] != 1 || seg[3] != 1 {
                    return Err(self.malformed(op, format!("unsupported DMA operands {seg:?}")));
                }
                let target = seg[0] + seg[1];
                OpKind::EnqueueDma(DmaOperands {
                    source: 0,
                    target,
                    semaphore: target + 1,
                    remote: seg[4] > 0,
                })
            }
            ("tpu", "wait_dma2") => {
                let seg = self.segments(op, 5)?;
                OpKind::WaitDma2(DmaOperands {
                    semaphore: 0,
                    source: 1,
                    target: 2,
                    remote: seg[3] > 0,
                })
            }
            ("tpu", "sem_signal") => OpKind::SemaphoreSignal,
            ("tpu", "sem_wait") => OpKind::SemaphoreWait,
            ("scf", "if") => OpKind::If,
            ("scf", "for") => OpKind::For,
            ("scf", "while") => OpKind::While,
            ("scf", "yield") => OpKind::Yield,
            ("scf", "condition") => OpKind::Condition,
            ("func", "return") => OpKind::Return,
            ("tpu", "assume_multiple") => OpKind::Identity,
            ("tpu", "trace_start" | "trace_stop") => OpKind::Nop,
            _ => {
                return Err(Error::UnknownOp {
                    op: name.to_string(),
                    location: self.location(op),
                    line: op.line,
                })
            }
        })
    }

    fn constant(&self, op: &OpSyntax, result_types: &[Type]) -> Result<Value> {
        let [ty] = result_types else {
            return Err(self.malformed(op, "arith.constant has one result"));
        };
        let value = op
            .attr("value")
            .ok_or_else(|| self.malformed(op, "arith.constant without value"))?;
        let elem = ty
            .elem()
            .ok_or_else(|| self.malformed(op, format!("constant of type {ty}")))?;
        let scalar = |a: &Attr| -> Option<Value> {
            match a {
                Attr::Int(i) => Some(if elem.is_float() {
                    Value::Float(crate::exec::round(elem, *i as f64))
                } else {
                    Value::Int(crate::exec::wrap(elem, *i))
                }),
                Attr::Bool(b) => Some(Value::Int(i64::from(*b))),
                Attr::Float(f) => Some(Value::Float(crate::exec::round(elem, *f))),
                _ => None,
            }
        };
        match (ty, value) {
            (Type::Scalar(_), a) => {
                scalar(a).ok_or_else(|| self.malformed(op, format!("scalar constant {a:?}")))
            }
            (Type::Vector { shape, elem }, Attr::Dense { values, .. }) => {
                let n: usize = shape.iter().product();
                let data = match values {
                    DenseValues::Float(v) if elem.is_float() => Data::F(
                        expand(v, n)
                            .map(|x| crate::exec::round(*elem, x) as f32)
                            .collect(),
                    ),
                    DenseValues::Int(v) if !elem.is_float() => Data::I(
                        expand(v, n)
                            .map(|x| crate::exec::wrap(*elem, x) as i32)
                            .collect(),
                    ),
                    _ => return Err(self.malformed(op, "dense constant of the wrong kind")),
                };
                if data.len() != n {
                    return Err(self.malformed(
                        op,
                        format!("dense constant with {} values for {n} elements", data.len()),
                    ));
                }
                Ok(Value::Vector(Arc::new(Vector {
                    shape: shape.clone(),
                    elem: *elem,
                    data,
                })))
            }
            _ => Err(self.malformed(op, format!("unsupported constant {value:?} of type {ty}"))),
        }
    }

    fn dot_dims(&self, op: &OpSyntax, operand_types: &[Type]) -> Result<DotDims> {
        let Some(Attr::Dialect { body, .. }) = op.attr("dimension_numbers") else {
            // No dimension numbers: a plain (m, k) x (k, n) matmul.
            let rank = operand_types.first().map_or(2, |t| t.shape().len());
            if rank != 2 {
                return Err(self.malformed(op, "a matmul without dimension numbers must be 2-D"));
            }
            return Ok(DotDims {
                lhs_contracting: vec![1],
                rhs_contracting: vec![0],
                lhs_free: vec![0],
                rhs_free: vec![1],
                output: vec![(0, 0), (1, 1)],
                lhs_batch: vec![],
                rhs_batch: vec![],
            });
        };
        let lists: Vec<Vec<usize>> = body
            .split(']')
            .filter_map(|part| part.split_once('['))
            .map(|(_, inner)| {
                inner
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| s.parse::<usize>())
                    .collect::<Result<Vec<_>, _>>()
            })
            .collect::<Result<_, _>>()
            .map_err(|_| self.malformed(op, format!("bad dimension numbers `{body}`")))?;
        let [lc, rc, lf, rf, out, lb, rb] = lists.as_slice() else {
            return Err(self.malformed(
                op,
                format!("expected 7 lists in dimension numbers `{body}`"),
            ));
        };
        Ok(DotDims {
            lhs_contracting: lc.clone(),
            rhs_contracting: rc.clone(),
            lhs_free: lf.clone(),
            rhs_free: rf.clone(),
            output: out
                .chunks(2)
                .map(|p| (p[0], p.get(1).copied().unwrap_or(0)))
                .collect(),
            lhs_batch: lb.clone(),
            rhs_batch: rb.clone(),
        })
    }
}

/// A splat (one value) repeated `n` times, or the values as they are.
fn expand<T: Copy>(values: &[T], n: usize) -> impl Iterator<Item = T> + '_ {
    let splat = values.len() == 1;
    let count = if splat { n } else { values.len() };
    (0..count).map(move |i| if splat { values[0] } else { values[i] })
}

fn reduce_kind(name: &str) -> Option<ReduceKind> {
    Some(match name {
        "add" => ReduceKind::Add,
        "mul" => ReduceKind::Mul,
        "maximumf" | "maxnumf" | "maxf" => ReduceKind::MaxF,
        "minimumf" | "minnumf" | "minf" => ReduceKind::MinF,
        "maxsi" => ReduceKind::MaxSI,
        "minsi" => ReduceKind::MinSI,
        "maxui" => ReduceKind::MaxUI,
        "minui" => ReduceKind::MinUI,
        "and" => ReduceKind::And,
        "or" => ReduceKind::Or,
        "xor" => ReduceKind::XOr,
        _ => return None,
    })
}
