/// The element types a safetensors header may name, in the reference implementation's
/// increasing-alignment order (its `enum Dtype`). The order matters to the writer, which packs
/// tensors by descending alignment so that every tensor is naturally aligned.
///
/// Reading support (see ``Safetensors``): `F32`, `F64` natively; `F16`, `BF16` → `float32`;
/// `C64` → two `float32` tensors `key.real`, `key.imag`; the integer types and `BOOL` →
/// `float64` (exact, or an error if |v| > 2⁵³). The 4-, 6- and 8-bit float formats are
/// recognised and validated but not convertible (``SafetensorsError/unsupportedDType(file:key:dtype:)``).
public enum SafetensorsDType: String, Sendable, CaseIterable, Comparable {
    case bool = "BOOL"
    case f4 = "F4"
    case f6e2m3 = "F6_E2M3"
    case f6e3m2 = "F6_E3M2"
    case u8 = "U8"
    case i8 = "I8"
    case f8e5m2 = "F8_E5M2"
    case f8e4m3 = "F8_E4M3"
    case f8e8m0 = "F8_E8M0"
    case f8e4m3fnuz = "F8_E4M3FNUZ"
    case f8e5m2fnuz = "F8_E5M2FNUZ"
    case i16 = "I16"
    case u16 = "U16"
    case f16 = "F16"
    case bf16 = "BF16"
    case i32 = "I32"
    case u32 = "U32"
    case f32 = "F32"
    case c64 = "C64"
    case f64 = "F64"
    case i64 = "I64"
    case u64 = "U64"

    /// Bits per element (4 for `F4`, 6 for the `F6` formats, 64 for `C64`).
    public var bitSize: Int {
        switch self {
        case .f4: return 4
        case .f6e2m3, .f6e3m2: return 6
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3, .f8e8m0, .f8e4m3fnuz, .f8e5m2fnuz: return 8
        case .i16, .u16, .f16, .bf16: return 16
        case .i32, .u32, .f32: return 32
        case .c64, .f64, .i64, .u64: return 64
        }
    }

    /// Position in the reference's declaration order (its derived `Ord`).
    var rank: Int { Self.allCases.firstIndex(of: self)! }

    /// Orders dtypes by their position in the reference's declaration order (increasing alignment).
    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
}
