// y = x * 2 in bf16, n + 1 in i32: element types survive the trip to the device and back.
module @scale_bf16 {
  func.func public @main(%x: tensor<3x4xbf16>, %n: tensor<5xi32>) -> (tensor<3x4xbf16>, tensor<5xi32>) {
    %two = stablehlo.constant dense<2.0> : tensor<3x4xbf16>
    %one = stablehlo.constant dense<1> : tensor<5xi32>
    %y = stablehlo.multiply %x, %two : tensor<3x4xbf16>
    %m = stablehlo.add %n, %one : tensor<5xi32>
    return %y, %m : tensor<3x4xbf16>, tensor<5xi32>
  }
}
