#!/usr/bin/env python3
"""Generate the piecewise polynomial tables for Ei(x) (Sources/Kernels/expi_table.h)
and the vector-math core coefficients (Sources/Kernels/vmath_coeffs.h).

Run from the package root:  python3 Sources/Kernels/tools/gen_expi_tables.py
Needs only mpmath. Every polynomial is a Chebyshev fit (mpmath.chebyfit, near-minimax) done
at 160-bit precision; the coefficients are then rounded to double and the approximation error
of the rounded polynomial is re-measured on a dense grid and printed.

Ei layout (see Docs/Kernels-Special.md): the real line is cut at the binary exponent of |x|
into quarter-octaves [2^e(1+j/4), 2^e(1+(j+1)/4)), e = -3..9, j = 0..3, separately for
x < 0 and x > 0 (52 intervals per side), plus one "log" interval. Index
    0                     log mode: -0.25 < x < 0.125
    1 + 4(e+3) + j        x < 0
    53 + 4(e+3) + j       x > 0
Every entry stores [c, a_0, ..., a_D] (double table: a_0 as a pair hi, lo: [c, a0hi, a0lo, a_1..a_D]); with t = x - c (t = x in log mode) and
P(t) = sum a_k t^k the value is
    log   (-0.25 < x < 0.125):      Ei = ln|x| + P(x)          P ~ gamma + sum x^k/(k k!)
    root  (0.25 <= x < 0.5):        Ei = (x - x0) P(t)          x0 = zero of Ei
    poly  (other |x| < 4):          Ei = P(t)
    exp   (|x| >= 4):               Ei = e^x P(t)               P ~ e^-x Ei(x) (~ 1/x)
"""
import mpmath as mp
import sys, os

mp.mp.prec = 160
X0 = mp.findroot(mp.ei, mp.mpf("0.3725"))
X0_HI = float(X0)
X0_LO = float(X0 - X0_HI)
EMIN, EMAX, SUB = -3, 9, 4
NSIDE = (EMAX - EMIN + 1) * SUB


def mode_of(a, b):
    """Mode for the interval [a, b) (a < b, same sign)."""
    if a >= 0.25 and b <= 0.5:
        return "root"
    if max(abs(a), abs(b)) <= 4:
        return "poly"
    return "exp"


def intervals():
    """Yield (index, a, b, mode, center)."""
    yield 0, mp.mpf(-0.25), mp.mpf(0.125), "log", mp.mpf(0)
    for side, sgn in ((0, -1), (1, 1)):
        for e in range(EMIN, EMAX + 1):
            for j in range(SUB):
                lo = mp.mpf(2) ** e * (1 + mp.mpf(j) / SUB)
                hi = mp.mpf(2) ** e * (1 + mp.mpf(j + 1) / SUB)
                a, b = (lo, hi) if sgn > 0 else (-hi, -lo)
                idx = 1 + side * NSIDE + (e - EMIN) * SUB + j
                mode = mode_of(float(a), float(b))
                # Intervals inside the log region are never selected; fit them anyway (harmless).
                c = mp.mpf(float((a + b) / 2))
                yield idx, a, b, mode, c


def target(mode, c):
    """Function of t approximated by P in the given mode."""
    if mode == "log":
        return lambda t: mp.ei(t) - mp.log(abs(t)) if t != 0 else mp.euler
    if mode == "poly":
        return lambda t: mp.ei(c + t)
    if mode == "root":
        return lambda t: mp.ei(c + t) / (c + t - X0)
    if mode == "exp":
        return lambda t: mp.exp(-(c + t)) * mp.ei(c + t)
    raise ValueError(mode)


def horner(coefs, t, split0):
    if split0:
        coefs = [mp.mpf(coefs[0]) + mp.mpf(coefs[1])] + coefs[2:]
    s = mp.mpf(0)
    for a in reversed(coefs):
        s = s * t + a
    return s


def fit(f, ta, tb, ncoef, split0):
    """Coefficients a_0.. (a_0 first). With split0, a_0 is stored as a double pair hi + lo."""
    poly, _ = mp.chebyfit(f, [ta, tb], ncoef, error=True)
    poly = list(reversed(poly))
    out = [float(p) for p in poly]
    if split0:
        out.insert(1, float(poly[0] - out[0]))
    return out


def measure(mode, c, coefs, a, b, f, split0, npts=120):
    """Max relative error of the final Ei value (approximation only, exact arithmetic)."""
    worst = mp.mpf(0)
    for i in range(npts + 1):
        x = a + (b - a) * mp.mpf(i) / npts
        if x == 0:
            continue
        t = x - c
        p = horner(coefs, t, split0)
        if mode == "log":
            approx, ref = mp.log(abs(x)) + p, mp.ei(x)
        elif mode == "root":
            approx, ref = (x - X0) * p, mp.ei(x)
            if abs(x - X0) < mp.mpf(10) ** -30:
                continue
        elif mode == "poly":
            approx, ref = p, mp.ei(x)
        else:
            approx, ref = p, f(t)  # relative error of the factor == relative error of Ei
        worst = max(worst, abs(approx / ref - 1))
    return worst


def build(ncoef, label, split0):
    rows, worst = [], mp.mpf(0)
    for idx, a, b, mode, c in intervals():
        f = target(mode, c)
        ta, tb = a - c, b - c
        coefs = fit(f, ta, tb, ncoef, split0)
        err = measure(mode, c, coefs, a, b, f, split0)
        if idx <= NSIDE and b <= -0.25 or idx > NSIDE or idx == 0:  # selected intervals only
            worst = max(worst, err)
        rows.append((idx, float(a), float(b), mode, float(c), coefs, err))
    print(f"{label}: {ncoef} coefficients, selected intervals, max relative approximation error {mp.nstr(worst, 3)}"
          f" = 2^{mp.nstr(mp.log(worst, 2), 4)}", file=sys.stderr)
    return sorted(rows)


def c_table(name, rows, ncoef):
    # Rows are padded with zeros to a multiple of 4 doubles so that the AVX2 kernel can read
    # every row in whole 4-double blocks (and transpose 4 rows at once instead of gathering).
    width = (len(rows[0][5]) + 1 + 3) // 4 * 4
    out = [f"static const double {name}[{len(rows)}][{width}] = {{"]
    for idx, a, b, mode, c, coefs, err in rows:
        vals = [c] + coefs
        vals = ", ".join(float.hex(v) for v in vals + [0.0] * (width - len(vals)))
        out.append(f"    /* {idx:3d} {mode:4s} [{a:.6g}, {b:.6g}) err {float(err):.2e} */ {{{vals}}},")
    out.append("};")
    return "\n".join(out)


def main():
    root = os.path.join(os.path.dirname(__file__), "..")
    nd = int(os.environ.get("EI_NCOEF_D", "15"))
    nf = int(os.environ.get("EI_NCOEF_F", "9"))
    dbl = build(nd, "double table", True)
    flt = build(nf, "float table (evaluated in double)", False)
    hdr = [
        "// GENERATED by Sources/Kernels/tools/gen_expi_tables.py -- do not edit by hand.",
        "// Piecewise polynomials for Ei(x); layout described in that script and Docs/Kernels-Special.md.",
        "#ifndef WIRTINGER_EXPI_TABLE_H",
        "#define WIRTINGER_EXPI_TABLE_H",
        f"#define EI_NCOEF_D {nd}",
        f"#define EI_NCOEF_F {nf}",
        f"#define EI_NENTRY {len(dbl)}",
        f"#define EI_NSIDE {NSIDE}",
        f"#define EI_EMIN ({EMIN})",
        f"#define EI_EMAX {EMAX}",
        f"static const double ei_x0_hi = {float.hex(X0_HI)}; /* {X0_HI!r} */",
        f"static const double ei_x0_lo = {float.hex(X0_LO)};",
        c_table("ei_table_d", dbl, nd),
        c_table("ei_table_f", flt, nf),
        "#endif",
        "",
    ]
    with open(os.path.join(root, "expi_table.h"), "w") as fh:
        fh.write("\n".join(hdr))


def vmath_coeffs():
    """Core polynomials of the vector math kernels (exp and log)."""
    half_ln2 = mp.log(2) / 2 * mp.mpf("1.0001")
    fexp = lambda r: (mp.exp(r) - 1 - r) / r**2 if r != 0 else mp.mpf(1) / 2
    pe, ee = mp.chebyfit(fexp, [-half_ln2, half_ln2], 11, error=True)
    zmax = ((mp.sqrt(2) - 1) / (mp.sqrt(2) + 1)) ** 2 * mp.mpf("1.0001")

    def flog(z):  # R(z)/z where log(1+f) = 2 atanh(s) = 2s + s R(z), z = s^2
        if z == 0:
            return mp.mpf(2) / 3
        s = mp.sqrt(z)
        return (2 * mp.atanh(s) - 2 * s) / s / z
    pl, el = mp.chebyfit(flog, [0, zmax], 8, error=True)
    print(f"exp: (e^r-1-r)/r^2, 11 coefficients, |err| * r^2 <= 2^{mp.nstr(mp.log(abs(ee) * half_ln2**2, 2), 4)}",
          file=sys.stderr)
    print(f"log: R(z)/z, 8 coefficients, |err| * z <= 2^{mp.nstr(mp.log(abs(el) * zmax, 2), 4)}", file=sys.stderr)
    fmt = lambda ps: ", ".join(float.hex(float(p)) for p in reversed(ps))
    return "\n".join([
        "// GENERATED by Sources/Kernels/tools/gen_expi_tables.py -- do not edit by hand.",
        "#ifndef WIRTINGER_VMATH_COEFFS_H",
        "#define WIRTINGER_VMATH_COEFFS_H",
        "// (e^r - 1 - r) / r^2 on |r| <= ln2/2, lowest degree first",
        f"static const double vm_exp_c[11] = {{{fmt(pe)}}};",
        "// R(z)/z with log(1+f) = 2s + s R(z), s = f/(2+f), z = s^2 in [0, 0.0295], lowest degree first",
        f"static const double vm_log_c[8] = {{{fmt(pl)}}};",
        "#endif",
        "",
    ])


if __name__ == "__main__":
    main()
    with open(os.path.join(os.path.dirname(__file__), "..", "vmath_coeffs.h"), "w") as fh:
        fh.write(vmath_coeffs())
