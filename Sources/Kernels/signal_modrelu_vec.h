// The vector form of the modReLU rows of signal_modrelu.c, written once over a vector-extension
// type of W doubles and instantiated per tier:
//
//   #define SG_W     lanes (4: AVX2, 8: AVX-512)
//   #define SG(x)    the name of the instantiation of x
//   #define SG_ATTR  the tier's target attribute
//   #include "signal_modrelu_vec.h"
//
// Every lane computes sg_modrelu_one / sg_modrelu_grad_one of signal_modrelu.c with the same
// double operations (multiply, add, divide, square root, compare; no fused multiply-add) and
// rounds once to the element type, so every tier gives the portable bits. The tail of a row (fewer
// than W elements) runs the scalar functions.

typedef double SG(d) __attribute__((vector_size(SG_W * 8), aligned(8)));
typedef long long SG(m) __attribute__((vector_size(SG_W * 8), aligned(8)));
typedef float SG(f) __attribute__((vector_size(SG_W * 4), aligned(4)));

#define SG_INLINE SG_ATTR __attribute__((always_inline)) static inline

SG_INLINE SG(d) SG(splat)(double v) { return v - (SG(d)){0}; }
SG_INLINE SG(d) SG(ld_f)(const float *p) { SG(f) v; memcpy(&v, p, sizeof v); return __builtin_convertvector(v, SG(d)); }
SG_INLINE SG(d) SG(ld_d)(const double *p) { SG(d) v; memcpy(&v, p, sizeof v); return v; }
SG_INLINE void SG(st_f)(float *p, SG(d) v) { SG(f) w = __builtin_convertvector(v, SG(f)); memcpy(p, &w, sizeof w); }
SG_INLINE void SG(st_d)(double *p, SG(d) v) { memcpy(p, &v, sizeof v); }
/// mask ? a : 0, lane by lane.
SG_INLINE SG(d) SG(keep)(SG(m) mask, SG(d) a) { return (SG(d))((SG(m))a & mask); }

/// The lanes' scale s = 1 − t/m with r = |z| and m = max(r, MIN) (MIN where r ≤ MIN), and
/// `*pos` = (s > 0): the part the forward and the pullback share.
SG_INLINE SG(d) SG(scale)(SG(d) x, SG(d) y, SG(d) t, SG(d) *r, SG(d) *m, SG(m) *pos) {
    SG(d) lo = SG(splat)(SG_MIN_MODULUS);
    *r = __builtin_elementwise_sqrt(x * x + y * y);
    SG(m) small = lo >= *r;
    *m = (SG(d))(((SG(m))lo & small) | ((SG(m))*r & ~small));
    SG(d) s = SG(splat)(1.0) - t / *m;
    *pos = s > SG(splat)(0.0);
    return s;
}

/// Forward lanes: (x·s, y·s) where s = 1 − t/max(|z|, MIN) > 0, else (0, 0).
SG_INLINE void SG(fwd)(SG(d) x, SG(d) y, SG(d) t, SG(d) *ox, SG(d) *oy) {
    SG(d) r, m;
    SG(m) pos;
    SG(d) s = SG(scale)(x, y, t, &r, &m, &pos);
    *ox = SG(keep)(pos, x * s);
    *oy = SG(keep)(pos, y * s);
}

/// Pullback lanes: (s·p + k·x, s·q + k·y, −c/m) with c = x·p + y·q, k = t·c/r³ (0 below MIN),
/// all 0 where s ≤ 0.
SG_INLINE void SG(bwd)(SG(d) x, SG(d) y, SG(d) p, SG(d) q, SG(d) t, SG(d) *ax, SG(d) *ay, SG(d) *at) {
    SG(d) r, m;
    SG(m) pos;
    SG(d) s = SG(scale)(x, y, t, &r, &m, &pos);
    SG(d) c = x * p + y * q;
    SG(d) k = SG(keep)(r >= SG(splat)(SG_MIN_MODULUS), t * c / (r * r * r));
    *ax = SG(keep)(pos, s * p + k * x);
    *ay = SG(keep)(pos, s * q + k * y);
    *at = SG(keep)(pos, (-c) / m);
}

#define SG_ROWS(T, SUF, LD, ST)                                                                     \
    SG_ATTR static void SG(row_##SUF)(const T *xr, const T *xi, double t, ptrdiff_t n, T *yr, T *yi) { \
        const SG(d) vt = SG(splat)(t);                                                              \
        ptrdiff_t i = 0;                                                                            \
        for (; i + SG_W <= n; i += SG_W) {                                                          \
            SG(d) ox, oy;                                                                           \
            SG(fwd)(LD(xr + i), LD(xi + i), vt, &ox, &oy);                                          \
            ST(yr + i, ox);                                                                         \
            ST(yi + i, oy);                                                                         \
        }                                                                                           \
        for (; i < n; i++) {                                                                        \
            double a, b;                                                                            \
            sg_modrelu_one(xr[i], xi[i], t, &a, &b);                                                \
            yr[i] = (T)a; yi[i] = (T)b;                                                             \
        }                                                                                           \
    }                                                                                               \
    SG_ATTR static void SG(row_grad_##SUF)(const T *xr, const T *xi, const T *gr, const T *gi, double t, \
                                           ptrdiff_t n, T *ar, T *ai, T *acc) {                     \
        const SG(d) vt = SG(splat)(t);                                                              \
        ptrdiff_t i = 0;                                                                            \
        for (; i + SG_W <= n; i += SG_W) {                                                          \
            SG(d) gx, gy, gt;                                                                       \
            SG(bwd)(LD(xr + i), LD(xi + i), LD(gr + i), LD(gi + i), vt, &gx, &gy, &gt);              \
            ST(ar + i, gx);                                                                         \
            ST(ai + i, gy);                                                                         \
            if (acc) {                                                                              \
                T lanes[SG_W];                                                                      \
                ST(lanes, gt);                                                                      \
                for (int l = 0; l < SG_W; l++) *acc += lanes[l];                                    \
            }                                                                                       \
        }                                                                                           \
        for (; i < n; i++) {                                                                        \
            double a, b, c;                                                                         \
            sg_modrelu_grad_one(xr[i], xi[i], gr[i], gi[i], t, &a, &b, &c);                         \
            ar[i] = (T)a; ai[i] = (T)b;                                                             \
            if (acc) *acc += (T)c;                                                                  \
        }                                                                                           \
    }
SG_ROWS(float, f32, SG(ld_f), SG(st_f))
SG_ROWS(double, f64, SG(ld_d), SG(st_d))
#undef SG_ROWS
#undef SG_INLINE
