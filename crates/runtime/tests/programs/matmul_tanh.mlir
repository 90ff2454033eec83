// tanh(x @ w) for x: f32[256,512], w: f32[512,256] — the runtime's smoke program.
module @matmul_tanh {
  func.func public @main(%x: tensor<256x512xf32>, %w: tensor<512x256xf32>) -> tensor<256x256xf32> {
    %0 = stablehlo.dot_general %x, %w, contracting_dims = [1] x [0] : (tensor<256x512xf32>, tensor<512x256xf32>) -> tensor<256x256xf32>
    %1 = stablehlo.tanh %0 : tensor<256x256xf32>
    return %1 : tensor<256x256xf32>
  }
}
