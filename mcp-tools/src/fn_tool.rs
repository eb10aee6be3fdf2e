//! Tools built from a spec and an async function over typed arguments.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{DynTool, Tool, ToolContext, ToolError, ToolOutput, ToolSpec, parse_args};

type BoxFuture = Pin<Box<dyn Future<Output = Result<ToolOutput, ToolError>> + Send>>;

/// A [`Tool`] made of a [`ToolSpec`] and an async function of typed arguments.
///
/// The arguments are parsed with [`parse_args`] (a bad argument becomes
/// [`ToolError::InvalidParams`] naming the field) before the function runs. This is how the
/// workspace, bundle and platform toolsets are written: one spec and one short adapter function
/// per tool, no dispatch enums.
///
/// ```
/// use mcp_tools::{FnTool, Tool, ToolContext, ToolOutput, ToolSpec};
///
/// /// Arguments of `shout`.
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct ShoutArgs {
///     /// The text to shout.
///     text: String,
/// }
/// /// Result of `shout`.
/// #[derive(serde::Serialize, schemars::JsonSchema)]
/// struct ShoutResult {
///     /// The text in upper case.
///     text: String,
/// }
///
/// let tool = FnTool::new(
///     ToolSpec::new::<ShoutArgs, ShoutResult>("shout", "Upper-cases the text."),
///     |args: ShoutArgs, _ctx: ToolContext| async move {
///         let text = args.text.to_uppercase();
///         ToolOutput::structured(text.clone(), &ShoutResult { text })
///     },
/// );
/// assert_eq!(tool.spec().name(), "shout");
/// ```
pub struct FnTool<A> {
    spec: ToolSpec,
    call: Box<dyn Fn(A, ToolContext) -> BoxFuture + Send + Sync>,
    _args: PhantomData<fn(A)>,
}

impl<A> fmt::Debug for FnTool<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnTool")
            .field("name", &self.spec.name())
            .finish_non_exhaustive()
    }
}

impl<A: DeserializeOwned + Send + 'static> FnTool<A> {
    /// A tool that parses its arguments into `A` and runs `f`. Returns it as a [`DynTool`].
    #[allow(clippy::new_ret_no_self)]
    pub fn new<F, Fut>(spec: ToolSpec, f: F) -> DynTool
    where
        F: Fn(A, ToolContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<ToolOutput, ToolError>> + Send + 'static,
    {
        std::sync::Arc::new(Self {
            spec,
            call: Box::new(move |args, ctx| Box::pin(f(args, ctx))),
            _args: PhantomData,
        })
    }

    /// A tool over shared state: `f` receives a clone of `state`, the parsed arguments and the
    /// call context. This is the one way toolsets declare their tools.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use mcp_tools::{FnTool, ToolContext, ToolOutput, ToolSpec};
    ///
    /// /// Arguments of `greet`.
    /// #[derive(serde::Deserialize, schemars::JsonSchema)]
    /// struct GreetArgs {
    ///     /// Who to greet.
    ///     name: String,
    /// }
    /// /// Result of `greet`.
    /// #[derive(serde::Serialize, schemars::JsonSchema)]
    /// struct Greeting {
    ///     /// The greeting.
    ///     text: String,
    /// }
    ///
    /// struct State {
    ///     greeting: String,
    /// }
    /// let state = Arc::new(State { greeting: "hello".into() });
    /// let tool = FnTool::with_state(
    ///     &state,
    ///     ToolSpec::new::<GreetArgs, Greeting>("greet", "Greets someone."),
    ///     |s: Arc<State>, a: GreetArgs, _ctx: ToolContext| async move {
    ///         let text = format!("{} {}", s.greeting, a.name);
    ///         ToolOutput::structured(text.clone(), &Greeting { text })
    ///     },
    /// );
    /// assert_eq!(tool.spec().name(), "greet");
    /// ```
    pub fn with_state<S, F, Fut>(state: &std::sync::Arc<S>, spec: ToolSpec, f: F) -> DynTool
    where
        S: Send + Sync + 'static,
        F: Fn(std::sync::Arc<S>, A, ToolContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<ToolOutput, ToolError>> + Send + 'static,
    {
        let state = std::sync::Arc::clone(state);
        Self::new(spec, move |args: A, ctx: ToolContext| {
            f(std::sync::Arc::clone(&state), args, ctx)
        })
    }
}

#[async_trait]
impl<A: DeserializeOwned + Send + 'static> Tool for FnTool<A> {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    async fn call(&self, args: Value, ctx: ToolContext) -> Result<ToolOutput, ToolError> {
        let args: A = parse_args(self.spec.name(), args)?;
        (self.call)(args, ctx).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Args.
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    struct Args {
        /// A number.
        n: i64,
    }
    /// Out.
    #[derive(serde::Serialize, schemars::JsonSchema)]
    struct Out {
        /// Twice the number.
        twice: i64,
    }

    #[tokio::test]
    async fn parses_typed_args_and_reports_bad_ones() {
        let tool = FnTool::new(
            ToolSpec::new::<Args, Out>("double", "Doubles n."),
            |a: Args, _ctx| async move {
                ToolOutput::structured(format!("{}", a.n * 2), &Out { twice: a.n * 2 })
            },
        );
        let out = tool
            .call(serde_json::json!({"n": 21}), ToolContext::new())
            .await
            .unwrap();
        assert_eq!(out.structured, Some(serde_json::json!({"twice": 42})));
        let err = tool
            .call(serde_json::json!({"n": "x"}), ToolContext::new())
            .await
            .unwrap_err();
        assert!(matches!(err, ToolError::InvalidParams { .. }), "{err}");
        assert!(format!("{tool:?}").contains("double"));
    }
}
