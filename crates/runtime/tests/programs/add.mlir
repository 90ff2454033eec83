// The smallest useful program: x + x on one (8,128) tile. Cheap to compile many times.
module @add {
  func.func public @main(%x: tensor<8x128xf32>) -> tensor<8x128xf32> {
    %0 = stablehlo.add %x, %x : tensor<8x128xf32>
    return %0 : tensor<8x128xf32>
  }
}
