// The names of one spatial rank of the generic layers, as PyTorch and cplxmodule spell them:
// `Conv2d = Convolution<Spatial2D>`, `CplxMaxPool1d = ComplexMaxPool<Spatial1D>`, …
// Each generic layer is written once over its `Rank` (Convolution.swift, ComplexConvolution.swift,
// Pooling.swift, BatchNorm.swift); this file only names its instances.

// MARK: - PyTorch's convolutions

/// PyTorch's `nn.Conv1d`: input `[N, C_in, L]`. See ``Convolution``.
public typealias Conv1d = Convolution<Spatial1D>
/// PyTorch's `nn.Conv2d`: input `[N, C_in, H, W]`. See ``Convolution``.
public typealias Conv2d = Convolution<Spatial2D>
/// PyTorch's `nn.Conv3d`: input `[N, C_in, D, H, W]`. See ``Convolution``.
public typealias Conv3d = Convolution<Spatial3D>
/// PyTorch's `nn.ConvTranspose1d`. See ``ConvolutionTranspose``.
public typealias ConvTranspose1d = ConvolutionTranspose<Spatial1D>
/// PyTorch's `nn.ConvTranspose2d`. See ``ConvolutionTranspose``.
public typealias ConvTranspose2d = ConvolutionTranspose<Spatial2D>
/// PyTorch's `nn.ConvTranspose3d`. See ``ConvolutionTranspose``.
public typealias ConvTranspose3d = ConvolutionTranspose<Spatial3D>

// MARK: - cplxmodule's complex convolutions

/// cplxmodule's `CplxConv1d`. See ``ComplexConvolution``.
public typealias CplxConv1d = ComplexConvolution<Spatial1D>
/// cplxmodule's `CplxConv2d`. See ``ComplexConvolution``.
public typealias CplxConv2d = ComplexConvolution<Spatial2D>
/// cplxmodule's `CplxConv3d`. See ``ComplexConvolution``.
public typealias CplxConv3d = ComplexConvolution<Spatial3D>
/// cplxmodule's `CplxConvTranspose1d` (PyTorch argument order, bias on by default). See ``ComplexConvolutionTranspose``.
public typealias CplxConvTranspose1d = ComplexConvolutionTranspose<Spatial1D>
/// cplxmodule's `CplxConvTranspose2d` (PyTorch argument order, bias on by default). See ``ComplexConvolutionTranspose``.
public typealias CplxConvTranspose2d = ComplexConvolutionTranspose<Spatial2D>
/// cplxmodule's `CplxConvTranspose3d` (PyTorch argument order, bias on by default). See ``ComplexConvolutionTranspose``.
public typealias CplxConvTranspose3d = ComplexConvolutionTranspose<Spatial3D>

// MARK: - Pooling

/// PyTorch's `nn.MaxPool1d`. See ``MaxPool``.
public typealias MaxPool1d = MaxPool<Spatial1D>
/// PyTorch's `nn.MaxPool2d`. See ``MaxPool``.
public typealias MaxPool2d = MaxPool<Spatial2D>
/// PyTorch's `nn.MaxPool3d`. See ``MaxPool``.
public typealias MaxPool3d = MaxPool<Spatial3D>
/// PyTorch's `nn.AvgPool1d`. See ``AvgPool``.
public typealias AvgPool1d = AvgPool<Spatial1D>
/// PyTorch's `nn.AvgPool2d`. See ``AvgPool``.
public typealias AvgPool2d = AvgPool<Spatial2D>
/// PyTorch's `nn.AvgPool3d`. See ``AvgPool``.
public typealias AvgPool3d = AvgPool<Spatial3D>
/// cplxmodule's `CplxMaxPool1d`. See ``ComplexMaxPool``.
public typealias CplxMaxPool1d = ComplexMaxPool<Spatial1D>
/// cplxmodule's `CplxMaxPool2d`. See ``ComplexMaxPool``.
public typealias CplxMaxPool2d = ComplexMaxPool<Spatial2D>
/// cplxmodule's `CplxMaxPool3d`. See ``ComplexMaxPool``.
public typealias CplxMaxPool3d = ComplexMaxPool<Spatial3D>

// MARK: - Batch normalisation

/// PyTorch's `nn.BatchNorm1d`: input `[N, C]` or `[N, C, L]`. See ``BatchNorm``.
public typealias BatchNorm1d = BatchNorm<Spatial1D>
/// PyTorch's `nn.BatchNorm2d`: input `[N, C, H, W]`. See ``BatchNorm``.
public typealias BatchNorm2d = BatchNorm<Spatial2D>
/// PyTorch's `nn.BatchNorm3d`: input `[N, C, D, H, W]`. See ``BatchNorm``.
public typealias BatchNorm3d = BatchNorm<Spatial3D>
/// cplxmodule's `CplxBatchNorm1d`: complex input `[N, F]` or `[N, F, L]`. See ``ComplexBatchNorm``.
public typealias CplxBatchNorm1d = ComplexBatchNorm<Spatial1D>
/// cplxmodule's `CplxBatchNorm2d`: complex input `[N, F, H, W]`. See ``ComplexBatchNorm``.
public typealias CplxBatchNorm2d = ComplexBatchNorm<Spatial2D>
/// cplxmodule's `CplxBatchNorm3d`: complex input `[N, F, D, H, W]`. See ``ComplexBatchNorm``.
public typealias CplxBatchNorm3d = ComplexBatchNorm<Spatial3D>
