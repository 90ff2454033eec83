// C = A @ B accumulated over 4 K-blocks in a while loop. Also returns every partial sum,
// stacked with dynamic_update_slice: partials[i] = A[:, :64(i+1)] @ B[:64(i+1), :].
module @blocked_matmul_loop {
  func.func public @main(%a: tensor<64x256xf32>, %b: tensor<256x32xf32>) -> (tensor<64x32xf32>, tensor<4x64x32xf32>) {
    %c0 = stablehlo.constant dense<0> : tensor<i32>
    %c1 = stablehlo.constant dense<1> : tensor<i32>
    %c4 = stablehlo.constant dense<4> : tensor<i32>
    %c64 = stablehlo.constant dense<64> : tensor<i32>
    %zero = stablehlo.constant dense<0.0> : tensor<64x32xf32>
    %stack0 = stablehlo.constant dense<0.0> : tensor<4x64x32xf32>
    %r:3 = stablehlo.while(%i = %c0, %acc = %zero, %stack = %stack0) : tensor<i32>, tensor<64x32xf32>, tensor<4x64x32xf32>
      cond {
        %lt = stablehlo.compare LT, %i, %c4 : (tensor<i32>, tensor<i32>) -> tensor<i1>
        stablehlo.return %lt : tensor<i1>
      } do {
        %k = stablehlo.multiply %i, %c64 : tensor<i32>
        %ab = stablehlo.dynamic_slice %a, %c0, %k, sizes = [64, 64] : (tensor<64x256xf32>, tensor<i32>, tensor<i32>) -> tensor<64x64xf32>
        %bb = stablehlo.dynamic_slice %b, %k, %c0, sizes = [64, 32] : (tensor<256x32xf32>, tensor<i32>, tensor<i32>) -> tensor<64x32xf32>
        %p = stablehlo.dot_general %ab, %bb, contracting_dims = [1] x [0] : (tensor<64x64xf32>, tensor<64x32xf32>) -> tensor<64x32xf32>
        %acc1 = stablehlo.add %acc, %p : tensor<64x32xf32>
        %row = stablehlo.reshape %acc1 : (tensor<64x32xf32>) -> tensor<1x64x32xf32>
        %stack1 = stablehlo.dynamic_update_slice %stack, %row, %i, %c0, %c0 : (tensor<4x64x32xf32>, tensor<1x64x32xf32>, tensor<i32>, tensor<i32>, tensor<i32>) -> tensor<4x64x32xf32>
        %i1 = stablehlo.add %i, %c1 : tensor<i32>
        stablehlo.return %i1, %acc1, %stack1 : tensor<i32>, tensor<64x32xf32>, tensor<4x64x32xf32>
      }
    return %r#1, %r#2 : tensor<64x32xf32>, tensor<4x64x32xf32>
  }
}
