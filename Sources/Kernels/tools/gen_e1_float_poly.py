"""Coefficients of the float E1 tail in relevance_cplx_f32.c.

For x >= 2, E1(x) = e^-x / x * g(1/x) with g(t) = x e^x E1(x) smooth on t in (0, 1/2]. We fit g by a
degree-9 polynomial in u = 4t - 1 in [-1, 1] (least squares on Chebyshev nodes, then converted to the
monomial basis for Horner's rule) and print the coefficients, lowest degree first. The maximum
relative error of the float Horner evaluation is printed too (about 4e-7; E1(x) <= 0.049 of the
complex VD value there, so the value's error from the fit stays below 2^-24).
Usage: python3 gen_e1_float_poly.py   (numpy, scipy)
"""
import numpy as np
from scipy.special import exp1


def g(x):
    big = x >= 600
    out = np.empty_like(x)
    out[~big] = x[~big] * np.exp(x[~big]) * exp1(x[~big])
    xb = x[big]
    out[big] = 1 - 1 / xb + 2 / xb**2 - 6 / xb**3 + 24 / xb**4  # asymptotic series
    return out


n = 6000
u = np.cos(np.pi * (np.arange(n) + 0.5) / n)
coef = np.polynomial.chebyshev.cheb2poly(np.polynomial.chebyshev.chebfit(u, g(4 / (u + 1)), 9))
uu = np.linspace(-1, 1, 200001)
xx = 4 / np.maximum(uu + 1, 1e-12)
acc = np.full(uu.shape, np.float32(coef[-1]), dtype=np.float32)
for c in coef[-2::-1]:
    acc = (acc * uu.astype(np.float32) + np.float32(c)).astype(np.float32)
print("max relative error %.2e" % np.max(np.abs(acc - g(xx)) / g(xx)))
print(", ".join("%.9ef" % c for c in coef))
