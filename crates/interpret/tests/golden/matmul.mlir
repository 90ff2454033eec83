module @matmul {
  func.func public @main(%in0: tensor<16x32xbf16>, %in1: tensor<32x16xbf16>) -> (tensor<16x16xf32>, tensor<6xi32>) {
    %c1 = stablehlo.constant dense<0x7FC00000> : tensor<16x16xf32>
    %c2 = stablehlo.constant dense<0x7FC00000> : tensor<8x16xf32>
    %c3 = stablehlo.constant dense<-1> : tensor<i32>
    %c4 = stablehlo.constant dense<-1> : tensor<i32>
    %c5 = stablehlo.constant dense<0x7FC00000> : tensor<8x16xf32>
    %c6 = stablehlo.constant dense<0> : tensor<6xi32>
    %c7 = stablehlo.constant dense<0> : tensor<i32>
    %c8 = stablehlo.constant dense<4> : tensor<i32>
    %w16:7 = stablehlo.while(%a9 = %c7, %a10 = %c1, %a11 = %c3, %a12 = %c4, %a13 = %c2, %a14 = %c5, %a15 = %c6) : tensor<i32>, tensor<16x16xf32>, tensor<i32>, tensor<i32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<6xi32>
      cond {
        %p17 = stablehlo.compare LT, %a9, %c8, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
        stablehlo.return %p17 : tensor<i1>
      } do {
        %c18 = stablehlo.constant dense<2> : tensor<i32>
        %v19 = stablehlo.divide %a9, %c18 : tensor<i32>
        %c20 = stablehlo.constant dense<0> : tensor<i32>
        %c21 = stablehlo.constant dense<2> : tensor<i32>
        %v22 = stablehlo.remainder %a9, %c21 : tensor<i32>
        %c23 = stablehlo.constant dense<8> : tensor<i32>
        %v24 = stablehlo.multiply %v19, %c23 : tensor<i32>
        %c25 = stablehlo.constant dense<16> : tensor<i32>
        %v26 = stablehlo.multiply %v22, %c25 : tensor<i32>
        %v27 = stablehlo.dynamic_slice %in0, %v24, %v26, sizes = [8, 16] : (tensor<16x32xbf16>, tensor<i32>, tensor<i32>) -> tensor<8x16xbf16>
        %c28 = stablehlo.constant dense<16> : tensor<i32>
        %v29 = stablehlo.multiply %v22, %c28 : tensor<i32>
        %c30 = stablehlo.constant dense<16> : tensor<i32>
        %v31 = stablehlo.multiply %c20, %c30 : tensor<i32>
        %v32 = stablehlo.dynamic_slice %in1, %v29, %v31, sizes = [16, 16] : (tensor<32x16xbf16>, tensor<i32>, tensor<i32>) -> tensor<16x16xbf16>
        %p33 = stablehlo.compare NE, %v19, %a11, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
        %p34 = stablehlo.compare NE, %c20, %a12, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
        %v35 = stablehlo.or %p33, %p34 : tensor<i1>
        %c36 = stablehlo.constant dense<0x7FC00000> : tensor<8x16xf32>
        %v37 = stablehlo.select %v35, %c36, %a13 : (tensor<i1>, tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<8x16xf32>
        %c38 = stablehlo.constant dense<0> : tensor<i32>
        %p39 = stablehlo.compare EQ, %v22, %c38, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
        %w40 = "stablehlo.if"(%p39) ({
          %c41 = stablehlo.constant dense<0.0> : tensor<8x16xf32>
          stablehlo.return %c41 : tensor<8x16xf32>
        }, {
          stablehlo.return %a14 : tensor<8x16xf32>
        }) : (tensor<i1>) -> (tensor<8x16xf32>)
        %v42 = stablehlo.convert %v27 : (tensor<8x16xbf16>) -> tensor<8x16xf32>
        %v43 = stablehlo.convert %v32 : (tensor<16x16xbf16>) -> tensor<16x16xf32>
        %v44 = stablehlo.dot_general %v42, %v43, contracting_dims = [1] x [0] : (tensor<8x16xf32>, tensor<16x16xf32>) -> tensor<8x16xf32>
        %v45 = stablehlo.add %w40, %v44 : tensor<8x16xf32>
        %c46 = stablehlo.constant dense<1> : tensor<i32>
        %p47 = stablehlo.compare EQ, %v22, %c46, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
        %w48 = "stablehlo.if"(%p47) ({
          stablehlo.return %v45 : tensor<8x16xf32>
        }, {
          stablehlo.return %v37 : tensor<8x16xf32>
        }) : (tensor<i1>) -> (tensor<8x16xf32>)
        %c49 = stablehlo.constant dense<8> : tensor<i32>
        %v50 = stablehlo.multiply %v19, %c49 : tensor<i32>
        %c51 = stablehlo.constant dense<16> : tensor<i32>
        %v52 = stablehlo.multiply %c20, %c51 : tensor<i32>
        %v53 = stablehlo.dynamic_update_slice %a10, %w48, %v50, %v52 : (tensor<16x16xf32>, tensor<8x16xf32>, tensor<i32>, tensor<i32>) -> tensor<16x16xf32>
        %c54 = stablehlo.constant dense<1> : tensor<i32>
        %v55 = stablehlo.add %a9, %c54 : tensor<i32>
        stablehlo.return %v55, %v53, %v19, %c20, %w48, %v45, %a15 : tensor<i32>, tensor<16x16xf32>, tensor<i32>, tensor<i32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<6xi32>
      }
    return %w16#1, %w16#6 : tensor<16x16xf32>, tensor<6xi32>
  }
}
