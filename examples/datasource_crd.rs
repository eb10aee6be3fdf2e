//! Prints the `DataSource` CustomResourceDefinition as YAML.
//!
//! ```sh
//! cargo run -p examples --example datasource-crd | kubectl apply -f -
//! ```

fn main() {
    print!("{}", datasource_model::kubernetes::crd_yaml());
}
