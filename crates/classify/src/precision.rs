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
}

impl Precision {
    /// What model ids carry after `@hash` for outputs labeled this way.
    pub fn id_suffix(self) -> &'static str {
        match self {
            Precision::F32 => "",
            Precision::Int8 => "+int8",
        }
    }
}

impl std::str::FromStr for Precision {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "f32" => Ok(Precision::F32),
            "int8" => Ok(Precision::Int8),
            other => Err(format!("unknown precision {other:?} (f32 or int8)")),
        }
    }
}

impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Precision::F32 => "f32",
            Precision::Int8 => "int8",
        })
    }
}
