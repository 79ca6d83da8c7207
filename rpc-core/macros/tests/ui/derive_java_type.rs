use dubbo_rpc::JavaType;

#[derive(JavaType)]
pub struct Unnamed {
    x: i32,
}

#[derive(JavaType)]
#[java(class = "org.example.Data")]
pub enum WithData {
    Unit,
    Tuple(i32),
    Struct { x: i32 },
}

#[derive(JavaType)]
#[java(name = "org.example.X", class = "org/example/X")]
pub struct BadAttrs;

fn main() {}
