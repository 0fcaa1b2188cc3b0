//! What this CPU offers the kernels, detected once, and the switch that
//! caps it: `POLICYLENS_CPU=avx2` makes every kernel (int8 products,
//! attention, GELU, quantization) run as on a CPU with AVX2 and FMA but no
//! AVX-512, AVX-VNNI or AMX (Zen 3, Skylake client cores), and `avx2-vnni` as on one
//! that adds AVX-VNNI (Alder Lake and later client cores), so one machine
//! can measure what another would do. Every run-time choice of instructions in this crate reads
//! [`features`], never the CPU directly.

use std::sync::OnceLock;

/// The environment variable that caps the instruction sets used.
pub const CPU_ENV: &str = "POLICYLENS_CPU";

/// The instruction sets the kernels may use in this process.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Features {
    /// AVX2 and FMA.
    pub avx2: bool,
    /// AVX-VNNI (256-bit `vpdpbusd`), beside AVX2.
    pub avx_vnni: bool,
    /// AVX-512 F, BW and VL.
    pub avx512: bool,
    /// AVX-512 VNNI, beside AVX-512.
    pub avx512_vnni: bool,
    /// AVX512_BF16 (`vdpbf16ps`, bf16 conversions), beside AVX-512.
    pub avx512_bf16: bool,
    /// AMX tiles with int8 products, granted by the OS.
    pub amx_int8: bool,
    /// AMX tiles with bf16 products, granted by the OS.
    pub amx_bf16: bool,
}

/// How far [`CPU_ENV`] lets the kernels go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cap {
    /// Everything the CPU has (unset, empty or `auto`).
    Auto,
    /// AVX-512 and its extensions, no AMX (`avx512`).
    Avx512,
    /// AVX2 and FMA, and AVX-VNNI where present (`avx2-vnni`).
    Avx2Vnni,
    /// AVX2 and FMA only (`avx2`).
    Avx2,
    /// No vector extension chosen at run time (`baseline`).
    Baseline,
}

impl Cap {
    pub fn parse(value: Option<&str>) -> Result<Self, String> {
        match value.map(str::trim).map(str::to_ascii_lowercase).as_deref() {
            None | Some("") | Some("auto") => Ok(Cap::Auto),
            Some("avx512") => Ok(Cap::Avx512),
            Some("avx2-vnni") => Ok(Cap::Avx2Vnni),
            Some("avx2") => Ok(Cap::Avx2),
            Some("baseline") => Ok(Cap::Baseline),
            Some(other) => Err(format!(
                "{CPU_ENV}={other:?} is not a CPU level (expected auto, avx512, avx2-vnni, avx2 or baseline)"
            )),
        }
    }

    /// `found` with everything above this cap turned off.
    pub fn apply(self, found: Features) -> Features {
        match self {
            Cap::Auto => found,
            Cap::Avx512 => Features {
                amx_int8: false,
                amx_bf16: false,
                ..found
            },
            Cap::Avx2Vnni => Features {
                avx2: found.avx2,
                avx_vnni: found.avx_vnni,
                ..Features::default()
            },
            Cap::Avx2 => Features {
                avx2: found.avx2,
                ..Features::default()
            },
            Cap::Baseline => Features::default(),
        }
    }
}

/// What the CPU has, uncapped.
pub fn detected() -> Features {
    #[cfg(target_arch = "x86_64")]
    {
        use std::is_x86_feature_detected as has;
        let avx2 = has!("avx2") && has!("fma");
        let avx512 = has!("avx512f") && has!("avx512bw") && has!("avx512vl");
        Features {
            avx2,
            avx_vnni: avx2 && has!("avxvnni"),
            avx512,
            avx512_vnni: avx512 && has!("avx512vnni"),
            avx512_bf16: avx512 && has!("avx512bf16"),
            amx_int8: avx512 && crate::amx::int8_available(),
            amx_bf16: avx512 && crate::amx::bf16_available(),
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        Features::default()
    }
}

/// The features the kernels use: [`detected`] under the cap
/// `POLICYLENS_CPU` asks for (read once), or why that value is wrong.
pub fn try_features() -> Result<Features, String> {
    static CHOSEN: OnceLock<Result<Features, String>> = OnceLock::new();
    CHOSEN
        .get_or_init(|| {
            let cap = Cap::parse(std::env::var(CPU_ENV).ok().as_deref())?;
            Ok(cap.apply(detected()))
        })
        .clone()
}

/// [`try_features`], panicking with its message on a bad `POLICYLENS_CPU`.
pub fn features() -> Features {
    try_features().unwrap_or_else(|e| panic!("{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_turn_off_what_lies_above_them() {
        let all = Features {
            avx2: true,
            avx_vnni: true,
            avx512: true,
            avx512_vnni: true,
            avx512_bf16: true,
            amx_int8: true,
            amx_bf16: true,
        };
        assert_eq!(Cap::Auto.apply(all), all);
        let no_amx = Cap::Avx512.apply(all);
        assert!(no_amx.avx512_bf16 && no_amx.avx512_vnni && !no_amx.amx_int8 && !no_amx.amx_bf16);
        let avx2 = Cap::Avx2.apply(all);
        assert_eq!(
            avx2,
            Features {
                avx2: true,
                ..Features::default()
            }
        );
        assert_eq!(
            Cap::Avx2Vnni.apply(all),
            Features {
                avx2: true,
                avx_vnni: true,
                ..Features::default()
            }
        );
        assert_eq!(Cap::Baseline.apply(all), Features::default());
        // A cap never adds what the CPU lacks.
        assert_eq!(Cap::Avx2.apply(Features::default()), Features::default());
    }

    #[test]
    fn cap_names_parse_and_a_bad_one_is_named_in_the_error() {
        assert_eq!(Cap::parse(None), Ok(Cap::Auto));
        assert_eq!(Cap::parse(Some(" AVX2 ")), Ok(Cap::Avx2));
        assert_eq!(Cap::parse(Some("avx512")), Ok(Cap::Avx512));
        assert_eq!(Cap::parse(Some("avx2-vnni")), Ok(Cap::Avx2Vnni));
        let err = Cap::parse(Some("sse9")).unwrap_err();
        assert!(
            err.contains("POLICYLENS_CPU") && err.contains("sse9"),
            "{err}"
        );
    }
}
