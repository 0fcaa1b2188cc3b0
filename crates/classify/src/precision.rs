//! The arithmetic of the encoder's dense layers at inference, chosen per
//! run and recorded in the output's model id.

/// Arithmetic of the encoder's dense layers at inference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// Exact: f32 weights and activations.
    #[default]
    F32,
    /// Int8 weights (per output channel) and activations (per row).
    Int8,
    /// bf16 weights and activations, for GPUs (their tensor cores); the
    /// scores are made f32 at the end. Runs on a CPU too, slowly.
    Bf16,
    /// Int8 on a CPU with a fast integer kernel, f32 elsewhere (other
    /// CPUs, GPUs): what `policylens` uses unless told. Made concrete by
    /// [`Precision::resolve`] when a model loads, so outputs record which.
    Auto,
}

impl Precision {
    /// This precision on `device`: `Auto` becomes int8 on a CPU whose int8
    /// kernel is a vector one (not the scalar fallback), f32 otherwise.
    pub fn resolve(self, device: &candle_core::Device) -> Precision {
        match self {
            Precision::Auto if device.is_cpu() && fast_int8_kernel() => Precision::Int8,
            Precision::Auto => Precision::F32,
            p => p,
        }
    }

    /// What model ids carry after `@hash` for the dense layers' arithmetic:
    /// nothing for f32, `+int8` for 8-bit weights and activations,
    /// `+int8a7w7` where the int8 kernel is AVX2's, whose activations and
    /// weights are 7-bit (its scores differ slightly from the other
    /// kernels', which all give the same ones).
    /// `+bf16w` for bf16 weights and activations. The model adds `+bf16`
    /// when (only) its attention runs in bf16.
    pub fn id_suffix(self) -> &'static str {
        use policylens_kernels::int8::try_selected_kernel;
        match self {
            Precision::F32 | Precision::Auto => "",
            Precision::Bf16 => "+bf16w",
            Precision::Int8 => match try_selected_kernel() {
                Ok(kernel) if kernel.weight_max() < 127 => "+int8a7w7",
                _ => "+int8",
            },
        }
    }
}

impl Precision {
    /// The dtype of the encoder's weights and activations.
    pub fn dtype(self) -> candle_core::DType {
        match self {
            Precision::Bf16 => candle_core::DType::BF16,
            _ => candle_core::DType::F32,
        }
    }
}

impl std::str::FromStr for Precision {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "f32" => Ok(Precision::F32),
            "int8" => Ok(Precision::Int8),
            "bf16" => Ok(Precision::Bf16),
            "auto" => Ok(Precision::Auto),
            other => Err(format!(
                "unknown precision {other:?} (auto, f32, int8 or bf16)"
            )),
        }
    }
}

impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Precision::F32 => "f32",
            Precision::Int8 => "int8",
            Precision::Bf16 => "bf16",
            Precision::Auto => "auto",
        })
    }
}

/// Whether the int8 products run on a vector kernel here (AVX-512 VNNI,
/// AVX-VNNI or AVX2; not the scalar fallback, which is slower than f32).
/// `POLICYLENS_INT8_KERNEL=scalar` makes it false.
fn fast_int8_kernel() -> bool {
    use policylens_kernels::{int8::try_selected_kernel, Int8Kernel};
    matches!(try_selected_kernel(), Ok(k) if k != Int8Kernel::Scalar)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn auto_is_int8_only_where_the_integer_kernel_is_fast() {
        let cpu = Device::Cpu;
        let expected = if fast_int8_kernel() {
            Precision::Int8
        } else {
            Precision::F32
        };
        assert_eq!(Precision::Auto.resolve(&cpu), expected);
        assert_eq!(Precision::F32.resolve(&cpu), Precision::F32);
        assert_eq!(Precision::Int8.resolve(&cpu), Precision::Int8);
        assert_eq!("AUTO".parse::<Precision>().unwrap(), Precision::Auto);
        let seven_bit = policylens_kernels::int8::selected_kernel().weight_max() == 63;
        let int8 = if seven_bit { "+int8a7w7" } else { "+int8" };
        assert_eq!(Precision::Int8.id_suffix(), int8);
        assert_eq!(Precision::F32.id_suffix(), "");
        assert_eq!("bf16".parse::<Precision>().unwrap(), Precision::Bf16);
        assert_eq!(Precision::Bf16.resolve(&cpu), Precision::Bf16);
        assert_eq!(Precision::Bf16.id_suffix(), "+bf16w");
        assert!("fp16".parse::<Precision>().unwrap_err().contains("bf16"));
    }
}
