// Naive attention for 8 heads at N=32768, f32: the score matrix f32[8,32768,32768] alone is
// 32 GiB, so libtpu must refuse it on a 16 GiB v5e with E1000 CompileTimeHbmOom.
module @attention_hbm_oom {
  func.func public @main(%q: tensor<8x32768x128xf32>, %k: tensor<8x32768x128xf32>, %v: tensor<8x32768x128xf32>) -> tensor<8x32768x128xf32> {
    %s = stablehlo.dot_general %q, %k, batching_dims = [0] x [0], contracting_dims = [2] x [2] : (tensor<8x32768x128xf32>, tensor<8x32768x128xf32>) -> tensor<8x32768x32768xf32>
    %ninf = stablehlo.constant dense<0xFF800000> : tensor<f32>
    %m = stablehlo.reduce(%s init: %ninf) applies stablehlo.maximum across dimensions = [2] : (tensor<8x32768x32768xf32>, tensor<f32>) -> tensor<8x32768xf32>
    %mb = stablehlo.broadcast_in_dim %m, dims = [0, 1] : (tensor<8x32768xf32>) -> tensor<8x32768x32768xf32>
    %d = stablehlo.subtract %s, %mb : tensor<8x32768x32768xf32>
    %p = stablehlo.exponential %d : tensor<8x32768x32768xf32>
    %o = stablehlo.dot_general %p, %v, batching_dims = [0] x [0], contracting_dims = [2] x [1] : (tensor<8x32768x32768xf32>, tensor<8x32768x128xf32>) -> tensor<8x32768x128xf32>
    return %o : tensor<8x32768x128xf32>
  }
}
