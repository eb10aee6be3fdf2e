//! The shipped sample dataset (sales: orders, customers, inventory) and its three models.
//!
//! The CSV files under `data/sample/` are generated deterministically by the test
//! `sample::tests::sample_files_match_generator` (run it with `REGENERATE_SAMPLE=1` to rewrite
//! them); the models under `data/sample/models/` are hand-written metric-view YAML.

/// `(table name, CSV text)` of the sample tables.
pub(crate) const TABLES: &[(&str, &str)] = &[
    ("orders", include_str!("../../data/sample/orders.csv")),
    ("customers", include_str!("../../data/sample/customers.csv")),
    ("inventory", include_str!("../../data/sample/inventory.csv")),
];

/// `(model name, metric view YAML)` of the sample models.
pub(crate) const MODELS: &[(&str, &str)] = &[
    (
        "revenue_metrics",
        include_str!("../../data/sample/models/revenue_metrics.yaml"),
    ),
    (
        "customer_360",
        include_str!("../../data/sample/models/customer_360.yaml"),
    ),
    (
        "inventory_model",
        include_str!("../../data/sample/models/inventory_model.yaml"),
    ),
];

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    /// splitmix64: small, fast and the same everywhere.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len() as u64) as usize]
        }
    }

    fn date(days_since_2022: u64) -> String {
        let (mut y, mut d) = (2022_i32, days_since_2022 as u32);
        loop {
            let len = if y % 4 == 0 { 366 } else { 365 };
            if d < len {
                break;
            }
            d -= len;
            y += 1;
        }
        let months = [
            31,
            if y % 4 == 0 { 29 } else { 28 },
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ];
        let mut m = 0;
        while d >= months[m] {
            d -= months[m];
            m += 1;
        }
        format!("{y:04}-{:02}-{:02}", m + 1, d + 1)
    }

    const REGIONS: &[(&str, &[&str])] = &[
        (
            "EMEA",
            &["Germany", "France", "United Kingdom", "Spain", "Kenya"],
        ),
        ("AMER", &["United States", "Canada", "Mexico"]),
        ("APAC", &["Japan", "Australia", "India", "Singapore"]),
        ("LATAM", &["Brazil", "Argentina", "Chile"]),
    ];
    const CATEGORIES: &[(&str, u64)] = &[
        ("Electronics", 24_999),
        ("Home", 8_999),
        ("Apparel", 4_599),
        ("Sports", 6_499),
        ("Books", 1_899),
    ];

    fn customers() -> (String, Vec<&'static str>) {
        let mut rng = Rng(0xC0FFEE);
        let mut out = String::from(
            "customer_id,customer_name,segment,region,country,signup_date,loyalty_tier\n",
        );
        let mut regions = Vec::new();
        for id in 1..=200 {
            let (region, countries) = REGIONS[rng.below(REGIONS.len() as u64) as usize];
            let country = rng.pick(countries);
            let segment = rng.pick(&["Consumer", "Corporate", "Small Business"]);
            let tier = rng.pick(&["Bronze", "Bronze", "Silver", "Silver", "Gold", "Platinum"]);
            let signup = date(rng.below(730));
            let _ = writeln!(
                out,
                "{id},Customer {id:03},{segment},{region},{country},{signup},{tier}"
            );
            regions.push(region);
        }
        (out, regions)
    }

    fn orders() -> String {
        let mut rng = Rng(0x5EED_0001);
        let mut out = String::from(
            "order_id,customer_id,order_date,channel,product_category,quantity,unit_price,discount,amount,status\n",
        );
        for id in 1..=3000_u64 {
            let customer = 1 + rng.below(200);
            // 2024-01-01 .. 2025-12-31 (days 730 .. 1460 after 2022-01-01)
            let day = 730 + rng.below(731);
            let channel = rng.pick(&["web", "web", "store", "partner", "mobile"]);
            let (category, base) = CATEGORIES[rng.below(CATEGORIES.len() as u64) as usize];
            let quantity = 1 + rng.below(5);
            // price within ±20 % of the base, in cents
            let price = base * (80 + rng.below(41)) / 100;
            let gross = price * quantity;
            let discount = if rng.below(4) == 0 { gross / 10 } else { 0 };
            let amount = gross - discount;
            let status = match rng.below(20) {
                0 => "returned",
                1 => "cancelled",
                _ => "completed",
            };
            let _ = writeln!(
                out,
                "{id},{customer},{},{channel},{category},{quantity},{}.{:02},{}.{:02},{}.{:02},{status}",
                date(day),
                price / 100,
                price % 100,
                discount / 100,
                discount % 100,
                amount / 100,
                amount % 100,
            );
        }
        out
    }

    fn inventory() -> String {
        let mut rng = Rng(0x1A7E_0002);
        let mut out = String::from(
            "snapshot_date,warehouse,sku,product_category,quantity_on_hand,reorder_point,unit_cost\n",
        );
        let month_starts = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
        for start in month_starts {
            for warehouse in ["Berlin", "Chicago", "Singapore", "Sao Paulo"] {
                for sku in 1..=10_u64 {
                    let (category, base) = CATEGORIES[(sku as usize - 1) % CATEGORIES.len()];
                    let qty = rng.below(400);
                    let reorder = 50 + 10 * (sku % 4);
                    let cost = base * 55 / 100 + rng.below(100);
                    let _ = writeln!(
                        out,
                        "{},{warehouse},SKU-{sku:04},{category},{qty},{reorder},{}.{:02}",
                        date(1096 + start),
                        cost / 100,
                        cost % 100
                    );
                }
            }
        }
        out
    }

    #[test]
    fn sample_files_match_generator() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample");
        let files = [
            ("customers.csv", customers().0),
            ("orders.csv", orders()),
            ("inventory.csv", inventory()),
        ];
        let regenerate = std::env::var_os("REGENERATE_SAMPLE").is_some();
        let mut total = 0;
        for (name, content) in &files {
            let path = dir.join(name);
            if regenerate {
                std::fs::write(&path, content).unwrap();
            }
            let on_disk = std::fs::read_to_string(&path).unwrap();
            assert!(
                on_disk == *content,
                "{name} differs from the generator; run with REGENERATE_SAMPLE=1"
            );
            total += content.len();
        }
        assert!(total < 1_000_000, "sample is {total} bytes");
        assert_eq!(date(0), "2022-01-01");
        assert_eq!(date(730), "2024-01-01");
        assert_eq!(date(1460), "2025-12-31");
        assert_eq!(date(1096), "2025-01-01");
        assert_eq!(customers().1.len(), 200);
    }
}
