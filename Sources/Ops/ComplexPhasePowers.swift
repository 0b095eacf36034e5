// Phase powers as one tape entry: for each order k, |z|·(z/(|z| + ε))^k, stacked along the channel
// axis. Written as a chain of complex products (abs, a division, k − 1 products, a product by |z|,
// a concatenation) it costs a tape entry and a full-size tensor per step and as many again in the
// pullback; fused, the forward reads z once and writes each order once, and the pullback reads the
// cotangents of all orders once.
//
// With z = r·e^{iθ}, r = |z|, ρ = r/(r + ε): order k is A_k(r)·e^{ikθ} with A_k = r·ρ^k, so for
// a real loss with cotangents (p_k, q_k) = (∂L/∂Re, ∂L/∂Im) of order k,
//   ∂L/∂r = Σ_k A_k′(r)·(p_k cos kθ + q_k sin kθ),   A_k′ = ρ^k·(1 + k·ε/(r + ε)),
//   ∂L/∂θ = Σ_k k·A_k(r)·(q_k cos kθ − p_k sin kθ),
// and z̄ = ∂L/∂x + i·∂L/∂y = e^{iθ}·(∂L/∂r + i·∂L/∂θ / r); 0 at z = 0, where every order has
// gradient 0 (the chain's value there: |z| has gradient 0 at 0, and r·u^k vanishes with r).
// Every element is computed in Double from its own inputs (orders summed in their order), so the
// result has the same bits at any thread count.

/// Phase powers `|z|·(z/(|z| + ε))^k` for each order `k` of `orders`, concatenated along axis 1:
/// complex `[N, C, *S]` → `[N, C·orders.count, *S]`, order `orders[j]` in channels
/// `j·C ..< (j + 1)·C`. Order 0 gives `|z|` (zero imaginary part), order 1 `|z|·z/(|z| + ε)`;
/// the modulus is kept (up to the factor `(|z|/(|z| + ε))^k`) and the phase multiplied by `k`.
///
/// Pullback (see the file header): `z̄ = e^{iθ}·(∂L/∂r + i·∂L/∂θ / r)` with
/// `∂L/∂r = Σ_k ρ^k(1 + kε/(r + ε))·Re(e^{−ikθ}·ḡ_k)`, `∂L/∂θ = Σ_k k·r·ρ^k·Im(e^{−ikθ}·ḡ_k)`, 0 at `z = 0`.
/// - Precondition: `z` has rank ≥ 2, `orders` is non-empty and each order ≥ 0, `epsilon > 0`.
public func phasePowers(_ z: ComplexTensor, orders: [Int], epsilon: Double = 1e-6) -> ComplexTensor {
    require(z.rank >= 2, "phasePowers: input must be [N, C, *S], got \(z.shape)")
    require(!orders.isEmpty && orders.allSatisfy { $0 >= 0 } && epsilon > 0,
            "phasePowers: orders must be non-empty and ≥ 0 and epsilon > 0, got \(orders), \(epsilon)")
    let (n, c) = (z.shape[0], z.shape[1]), inner = z.shape.dropFirst(2).reduce(1, *), g = orders.count
    let outShape = [n, c * g] + z.shape.dropFirst(2)
    let plan = PhasePowerPlan(orders: orders, epsilon: epsilon)
    var out = [Tensor(uninitializedShape: outShape, dtype: z.dtype), Tensor(uninitializedShape: outShape, dtype: z.dtype)]
    func forward<T: TensorScalar>(_: T.Type) {
        Tensor.withBaseAddresses(reading: [z.real, z.imag], writing: &out, as: T.self) { i, o in
            let (xr, xi, yr, yi) = (i[0], i[1], o[0], o[1])
            parallelFor(n, grain: Swift.max(1, ComplexSupport.elementGrain / Swift.max(1, c * inner * g))) { samples in
                for s in samples {
                    for ch in 0..<c {
                        let src = (s * c + ch) * inner
                        for t in 0..<inner {
                            plan.forEachOrder(Double(xr[src + t]), Double(xi[src + t])) { j, _, a, _, cr, ci in
                                let dst = ((s * g + j) * c + ch) * inner + t
                                yr[dst] = T(a * cr); yi[dst] = T(a * ci)
                            }
                        }
                    }
                }
            }
        }
    }
    z.dtype.dispatch { forward($0) }
    return ComplexSupport.record("phasePowers", ComplexTensor(real: out[0], imag: out[1]), inputs: [z.real, z.imag]) { gr, gi in
        let zd = z.detached()
        var grads = [Tensor(uninitializedShape: z.shape, dtype: z.dtype), Tensor(uninitializedShape: z.shape, dtype: z.dtype)]
        func backward<T: TensorScalar>(_: T.Type) {
            Tensor.withBaseAddresses(reading: [zd.real, zd.imag, gr, gi], writing: &grads, as: T.self) { i, o in
                let (xr, xi, pr, pi, ar, ai) = (i[0], i[1], i[2], i[3], o[0], o[1])
                parallelFor(n, grain: Swift.max(1, ComplexSupport.elementGrain / Swift.max(1, c * inner * g))) { samples in
                    for s in samples {
                        for ch in 0..<c {
                            let src = (s * c + ch) * inner
                            for t in 0..<inner {
                                let x = Double(xr[src + t]), y = Double(xi[src + t])
                                let m = (x * x + y * y).squareRoot()
                                guard m > 0 else { ar[src + t] = 0; ai[src + t] = 0; continue }
                                var dr = 0.0, dtheta = 0.0
                                plan.forEachOrder(x, y) { j, k, a, da, cr, ci in
                                    let at = ((s * g + j) * c + ch) * inner + t
                                    let p = Double(pr[at]), q = Double(pi[at])
                                    dr += da * (p * cr + q * ci)
                                    dtheta += Double(k) * a * (q * cr - p * ci)
                                }
                                let (c1, s1) = (x / m, y / m), w = dtheta / m
                                ar[src + t] = T(c1 * dr - s1 * w)
                                ai[src + t] = T(s1 * dr + c1 * w)
                            }
                        }
                    }
                }
            }
        }
        z.dtype.dispatch { backward($0) }
        return [grads[0], grads[1]]
    }
}

/// The orders of ``phasePowers(_:orders:epsilon:)`` walked in increasing order, with the powers of
/// the phase and of ρ = r/(r + ε) advanced one order at a time.
struct PhasePowerPlan {
    /// (order, index in the requested list), by increasing order (ties in request order).
    let walk: [(order: Int, index: Int)]
    /// ε of the division.
    let epsilon: Double

    init(orders: [Int], epsilon: Double) {
        walk = orders.enumerated().map { (order: $0.element, index: $0.offset) }.sorted { ($0.order, $0.index) < ($1.order, $1.index) }
        self.epsilon = epsilon
    }

    /// `body(j, k, A_k, A_k′, cos kθ, sin kθ)` for every requested order `k = orders[j]` of the
    /// element `z = x + iy`: `A_k = r·ρ^k` and `A_k′ = ρ^k·(1 + k·ε/(r + ε))`; at `z = 0` the phase
    /// is taken as 0 (every value is 0 there but order 0's `A′ = 1`).
    @inline(__always)
    func forEachOrder(_ x: Double, _ y: Double, _ body: (_ j: Int, _ k: Int, _ a: Double, _ da: Double, _ cr: Double, _ ci: Double) -> Void) {
        let m = (x * x + y * y).squareRoot()
        let (c1, s1) = m > 0 ? (x / m, y / m) : (1.0, 0.0)
        let rho = m / (m + epsilon), d = epsilon / (m + epsilon)
        var (ck, sk, rk, k) = (1.0, 0.0, 1.0, 0)
        for (order, j) in walk {
            while k < order {
                (ck, sk) = (ck * c1 - sk * s1, ck * s1 + sk * c1)
                rk *= rho
                k += 1
            }
            body(j, k, m * rk, rk * (1 + Double(k) * d), ck, sk)
        }
    }
}
