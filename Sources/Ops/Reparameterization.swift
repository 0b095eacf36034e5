// The tail of the local reparameterisation trick (Kingma et al. 2015) of the Bayesian layers,
// `y = μ + ε·√max(s², 1e-8)` with fixed noise ε, as one tape entry per real or complex output
// (Kernels `wt_reparam_*` for the forward and the variance's cotangent).

import Kernels

/// `μ + ε·√max(s², 1e-8)` as one tape entry (Kernels `wt_reparam_*`): the same value as
/// `mean + sqrt(clamp(s2, min: 1e-8)) * eps`. Pullback: g to μ, and
/// `g·ε / (2·√max(s², 1e-8))` to s² where s² ≥ 1e-8 (the clamp passes the gradient at the bound,
/// as PyTorch's does), 0 below. μ, s² and ε have one shape and dtype.
public func fusedReparameterization(mean: Tensor, variance s2: Tensor, eps: Tensor) -> Tensor {
    let m = mean.detached(), v = s2.detached(), n = v.count
    let y = FusedKernel.run([m, v, eps], outputs: 1,
                            { i, o in wt_reparam_f32(i[0], i[1], i[2], o[0], n) },
                            { i, o in wt_reparam_f64(i[0], i[1], i[2], o[0], n) })[0]
    let tv = s2.isTraced
    return Tape.record("reparameterization", y, inputs: [mean, s2]) { g in
        guard tv, g.shape == v.shape, g.dtype == v.dtype else {
            return [g, tv ? clampedSqrtGradient(g * eps, v) : nil]
        }
        let gs = FusedKernel.run([g.detached(), v, eps], outputs: 1,
                                 { i, o in wt_reparam_grad_f32(i[0], i[1], i[2], o[0], n) },
                                 { i, o in wt_reparam_grad_f64(i[0], i[1], i[2], o[0], n) })[0]
        return [g, gs]
    }
}

/// The complex version: `μ + ε·√max(s², 1e-8)` for both parts (shared real s², one square root
/// per element: Kernels `wt_reparam_cplx_*`) as one tape entry with inputs (Re μ, Im μ, s²); the
/// cotangent of s² is `(g_re·ε_re + g_im·ε_im) / (2·√max(s², 1e-8))` where s² ≥ 1e-8, else 0.
public func fusedReparameterization(mean: ComplexTensor, variance s2: Tensor, eps: ComplexTensor) -> ComplexTensor {
    let v = s2.detached(), n = v.count
    let ys = FusedKernel.run([mean.real.detached(), mean.imag.detached(), v, eps.real, eps.imag], outputs: 2,
                             { i, o in wt_reparam_cplx_f32(i[0], i[1], i[2], i[3], i[4], o[0], o[1], n) },
                             { i, o in wt_reparam_cplx_f64(i[0], i[1], i[2], i[3], i[4], o[0], o[1], n) })
    let tv = s2.isTraced
    let outs = Tape.record("complex reparameterization", outputs: ys, inputs: [mean.real, mean.imag, s2]) { gs in
        guard tv else { return [gs[0], gs[1], nil] }
        guard gs[0].shape == v.shape, gs[0].dtype == v.dtype, gs[1].shape == v.shape, gs[1].dtype == v.dtype else {
            return [gs[0], gs[1], clampedSqrtGradient(gs[0] * eps.real + gs[1] * eps.imag, v)]
        }
        let g = FusedKernel.run([gs[0].detached(), gs[1].detached(), v, eps.real, eps.imag], outputs: 1,
                                { i, o in wt_reparam_grad_cplx_f32(i[0], i[1], i[2], i[3], i[4], o[0], n) },
                                { i, o in wt_reparam_grad_cplx_f64(i[0], i[1], i[2], i[3], i[4], o[0], n) })[0]
        return [gs[0], gs[1], g]
    }
    return ComplexTensor(real: outs[0], imag: outs[1])
}

/// d√max(s², 1e-8)/ds² times `g` with ops (the fallback of the fused pullbacks).
private func clampedSqrtGradient(_ g: Tensor, _ s2: Tensor) -> Tensor {
    let std = sqrt(clamp(s2, min: KLConstants.varianceFloor))
    return g / (2 * std) * (s2 .>= KLConstants.varianceFloor).converted(to: g.dtype)
}
