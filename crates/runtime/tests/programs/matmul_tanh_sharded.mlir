// tanh(x @ w) with x and the result split by rows over a 4-device mesh (Shardy annotations,
// as JAX emits them); w is replicated. Compile with CompileOptions::spmd(4).
module @matmul_tanh_sharded attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
  sdy.mesh @mesh = <["x"=4]>
  func.func public @main(%x: tensor<1024x512xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>},
                         %w: tensor<512x256xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {}]>})
      -> (tensor<1024x256xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}) {
    %0 = stablehlo.dot_general %x, %w, contracting_dims = [1] x [0] : (tensor<1024x512xf32>, tensor<512x256xf32>) -> tensor<1024x256xf32>
    %1 = stablehlo.tanh %0 : tensor<1024x256xf32>
    return %1 : tensor<1024x256xf32>
  }
}
