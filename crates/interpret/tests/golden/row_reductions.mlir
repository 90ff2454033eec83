module @row_reductions {
  func.func public @main(%in0: tensor<10x200xf32>) -> (tensor<10x1xf32>, tensor<10x1xf32>, tensor<6xi32>) {
    %c1 = stablehlo.constant dense<0x7FC00000> : tensor<f32>
    %v2 = stablehlo.pad %in0, %c1, low = [0, 0], high = [6, 56], interior = [0, 0] : (tensor<10x200xf32>, tensor<f32>) -> tensor<16x256xf32>
    %c3 = stablehlo.constant dense<0x7FC00000> : tensor<16x1xf32>
    %c4 = stablehlo.constant dense<0x7FC00000> : tensor<8x1xf32>
    %c5 = stablehlo.constant dense<-1> : tensor<i32>
    %c6 = stablehlo.constant dense<-1> : tensor<i32>
    %c7 = stablehlo.constant dense<0x7FC00000> : tensor<16x1xf32>
    %c8 = stablehlo.constant dense<0x7FC00000> : tensor<8x1xf32>
    %c9 = stablehlo.constant dense<-1> : tensor<i32>
    %c10 = stablehlo.constant dense<-1> : tensor<i32>
    %c11 = stablehlo.constant dense<0> : tensor<6xi32>
    %c12 = stablehlo.constant dense<0> : tensor<i32>
    %c13 = stablehlo.constant dense<4> : tensor<i32>
    %w24:10 = stablehlo.while(%a14 = %c12, %a15 = %c3, %a16 = %c5, %a17 = %c6, %a18 = %c7, %a19 = %c9, %a20 = %c10, %a21 = %c4, %a22 = %c8, %a23 = %c11) : tensor<i32>, tensor<16x1xf32>, tensor<i32>, tensor<i32>, tensor<16x1xf32>, tensor<i32>, tensor<i32>, tensor<8x1xf32>, tensor<8x1xf32>, tensor<6xi32>
      cond {
        %p25 = stablehlo.compare LT, %a14, %c13, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
        stablehlo.return %p25 : tensor<i1>
      } do {
        %c26 = stablehlo.constant dense<2> : tensor<i32>
        %v27 = stablehlo.divide %a14, %c26 : tensor<i32>
        %c28 = stablehlo.constant dense<2> : tensor<i32>
        %v29 = stablehlo.remainder %a14, %c28 : tensor<i32>
        %c30 = stablehlo.constant dense<8> : tensor<i32>
        %v31 = stablehlo.multiply %v27, %c30 : tensor<i32>
        %c32 = stablehlo.constant dense<128> : tensor<i32>
        %v33 = stablehlo.multiply %v29, %c32 : tensor<i32>
        %v34 = stablehlo.dynamic_slice %v2, %v31, %v33, sizes = [8, 128] : (tensor<16x256xf32>, tensor<i32>, tensor<i32>) -> tensor<8x128xf32>
        %c35 = stablehlo.constant dense<0> : tensor<i32>
        %p36 = stablehlo.compare NE, %v27, %a16, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
        %p37 = stablehlo.compare NE, %c35, %a17, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
        %v38 = stablehlo.or %p36, %p37 : tensor<i1>
        %c39 = stablehlo.constant dense<0x7FC00000> : tensor<8x1xf32>
        %v40 = stablehlo.select %v38, %c39, %a21 : (tensor<i1>, tensor<8x1xf32>, tensor<8x1xf32>) -> tensor<8x1xf32>
        %c41 = stablehlo.constant dense<0> : tensor<i32>
        %p42 = stablehlo.compare NE, %v27, %a19, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
        %p43 = stablehlo.compare NE, %c41, %a20, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
        %v44 = stablehlo.or %p42, %p43 : tensor<i1>
        %c45 = stablehlo.constant dense<0x7FC00000> : tensor<8x1xf32>
        %v46 = stablehlo.select %v44, %c45, %a22 : (tensor<i1>, tensor<8x1xf32>, tensor<8x1xf32>) -> tensor<8x1xf32>
        %c47 = stablehlo.constant dense<0> : tensor<i32>
        %p48 = stablehlo.compare EQ, %v29, %c47, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
        %w49:2 = "stablehlo.if"(%p48) ({
          %c50 = stablehlo.constant dense<0.0> : tensor<8x1xf32>
          %c51 = stablehlo.constant dense<0xFF800000> : tensor<8x1xf32>
          stablehlo.return %c50, %c51 : tensor<8x1xf32>, tensor<8x1xf32>
        }, {
          stablehlo.return %v40, %v46 : tensor<8x1xf32>, tensor<8x1xf32>
        }) : (tensor<i1>) -> (tensor<8x1xf32>, tensor<8x1xf32>)
        %c52 = stablehlo.constant dense<128> : tensor<i32>
        %v53 = stablehlo.multiply %v29, %c52 : tensor<i32>
        %v54 = stablehlo.broadcast_in_dim %v53, dims = [] : (tensor<i32>) -> tensor<8x128xi32>
        %v55 = stablehlo.iota dim = 1 : tensor<8x128xi32>
        %v56 = stablehlo.add %v54, %v55 : tensor<8x128xi32>
        %c57 = stablehlo.constant dense<200> : tensor<8x128xi32>
        %p58 = stablehlo.compare LT, %v56, %c57, SIGNED : (tensor<8x128xi32>, tensor<8x128xi32>) -> tensor<8x128xi1>
        %c59 = stablehlo.constant dense<0.0> : tensor<8x128xf32>
        %c60 = stablehlo.constant dense<0xFF800000> : tensor<8x128xf32>
        %v61 = stablehlo.select %p58, %v34, %c59 : (tensor<8x128xi1>, tensor<8x128xf32>, tensor<8x128xf32>) -> tensor<8x128xf32>
        %v62 = stablehlo.select %p58, %v34, %c60 : (tensor<8x128xi1>, tensor<8x128xf32>, tensor<8x128xf32>) -> tensor<8x128xf32>
        %c63 = stablehlo.constant dense<0.0> : tensor<f32>
        %v64 = stablehlo.reduce(%v61 init: %c63) applies stablehlo.add across dimensions = [1] : (tensor<8x128xf32>, tensor<f32>) -> tensor<8xf32>
        %v65 = stablehlo.reshape %v64 : (tensor<8xf32>) -> tensor<8x1xf32>
        %c66 = stablehlo.constant dense<0xFF800000> : tensor<f32>
        %v67 = stablehlo.reduce(%v62 init: %c66) applies stablehlo.maximum across dimensions = [1] : (tensor<8x128xf32>, tensor<f32>) -> tensor<8xf32>
        %v68 = stablehlo.reshape %v67 : (tensor<8xf32>) -> tensor<8x1xf32>
        %v69 = stablehlo.add %w49#0, %v65 : tensor<8x1xf32>
        %v70 = stablehlo.maximum %w49#1, %v68 : tensor<8x1xf32>
        %c71 = stablehlo.constant dense<8> : tensor<i32>
        %v72 = stablehlo.multiply %v27, %c71 : tensor<i32>
        %v73 = stablehlo.dynamic_update_slice %a15, %v69, %v72, %c35 : (tensor<16x1xf32>, tensor<8x1xf32>, tensor<i32>, tensor<i32>) -> tensor<16x1xf32>
        %c74 = stablehlo.constant dense<8> : tensor<i32>
        %v75 = stablehlo.multiply %v27, %c74 : tensor<i32>
        %v76 = stablehlo.dynamic_update_slice %a18, %v70, %v75, %c41 : (tensor<16x1xf32>, tensor<8x1xf32>, tensor<i32>, tensor<i32>) -> tensor<16x1xf32>
        %c77 = stablehlo.constant dense<1> : tensor<i32>
        %v78 = stablehlo.add %a14, %c77 : tensor<i32>
        stablehlo.return %v78, %v73, %v27, %c35, %v76, %v27, %c41, %v69, %v70, %a23 : tensor<i32>, tensor<16x1xf32>, tensor<i32>, tensor<i32>, tensor<16x1xf32>, tensor<i32>, tensor<i32>, tensor<8x1xf32>, tensor<8x1xf32>, tensor<6xi32>
      }
    %v79 = stablehlo.slice %w24#1 [0:10:1, 0:1:1] : (tensor<16x1xf32>) -> tensor<10x1xf32>
    %v80 = stablehlo.slice %w24#4 [0:10:1, 0:1:1] : (tensor<16x1xf32>) -> tensor<10x1xf32>
    return %v79, %v80, %w24#9 : tensor<10x1xf32>, tensor<10x1xf32>, tensor<6xi32>
  }
}
