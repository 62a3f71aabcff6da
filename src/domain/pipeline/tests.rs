use serde_json::{Value, json};

use super::*;

struct Models(&'static [&'static str]);

impl Known for Models {
    fn model(&self, id: &str) -> bool {
        self.0.contains(&id)
    }
    fn knowledge_base(&self, id: &str) -> bool {
        id == "kb1"
    }
    fn http_host(&self, host: &str) -> bool {
        host == "api.example.com"
    }
    fn pipeline(&self, id: &str) -> Option<Interface> {
        (id == "summarise").then(|| Interface {
            name: "Summarise".into(),
            fields: vec![
                Field { name: "text".into(), ty: PortType::Text, required: true, default: None },
                Field { name: "words".into(), ty: PortType::Number, required: true, default: Some(json!(50)) },
            ],
            results: vec![Port { name: "summary".into(), ty: PortType::Text, required: true }],
        })
    }
}

/// Input → LLM → Output, with a Template beside the LLM.
fn sample() -> Definition {
    serde_json::from_value(json!({
        "format": 1,
        "name": "Explain code",
        "nodes": [
            {"id": "in", "type": "input", "fields": [{"name": "code", "type": "text"}]},
            {"id": "explain", "type": "llm", "model": "m", "prompt": "Explain:\n{{ code }}",
             "inputs": [{"name": "code", "type": "text"}], "retry": {"max": 2, "backoff_ms": 10}},
            {"id": "wrap", "type": "template", "template": "## Explanation\n{{ text }}",
             "inputs": [{"name": "text", "type": "text"}]},
            {"id": "out", "type": "output", "results": [{"name": "doc", "type": "text"}]}
        ],
        "edges": [
            {"from": {"node": "in", "port": "code"}, "to": {"node": "explain", "port": "code"}},
            {"from": {"node": "explain", "port": "text"}, "to": {"node": "wrap", "port": "text"}},
            {"from": {"node": "wrap", "port": "text"}, "to": {"node": "out", "port": "doc"}}
        ]
    }))
    .unwrap()
}

fn problems(def: &Definition) -> Vec<String> {
    validate(def, &Models(&["m"])).iter().map(ToString::to_string).collect()
}

#[test]
fn a_sound_pipeline_has_no_problems_and_round_trips() {
    let def = sample();
    assert_eq!(problems(&def), Vec::<String>::new());
    let again: Definition = serde_json::from_str(&serde_json::to_string(&def).unwrap()).unwrap();
    assert_eq!(again, def);
}

#[test]
fn edges_to_missing_nodes_and_ports_name_them() {
    let mut def = sample();
    def.edges[1].to.port = "txt".into();
    def.edges.push(Edge {
        from: PortRef { node: "ghost".into(), port: "x".into() },
        to: PortRef { node: "out".into(), port: "doc".into() },
    });
    let p = problems(&def);
    assert!(
        p.contains(&"node \"wrap\", port \"txt\": an edge ends at an input this node does not have".into()),
        "{p:?}"
    );
    assert!(
        p.contains(&"node \"wrap\", port \"text\": this input is required; connect an output to it".into()),
        "{p:?}"
    );
    assert!(p.iter().any(|m| m.contains("\"ghost\", which does not exist")), "{p:?}");
}

#[test]
fn type_mismatches_are_refused_but_text_takes_numbers_and_json_takes_all() {
    let mut def = sample();
    let NodeKind::Template { inputs, .. } = &mut def.nodes[2].kind else { panic!() };
    inputs[0].ty = PortType::Number;
    assert_eq!(
        problems(&def),
        vec!["node \"wrap\", port \"text\": takes number but explain.text gives text".to_owned()]
    );
    assert!(PortType::Text.accepts(PortType::Number));
    assert!(PortType::Json.accepts(PortType::List));
    assert!(!PortType::List.accepts(PortType::Json));
}

#[test]
fn cycles_and_unknown_models_are_found() {
    let mut def = sample();
    let NodeKind::Llm { model, inputs, .. } = &mut def.nodes[1].kind else { panic!() };
    *model = "gpt-9".into();
    inputs.push(Port { name: "previous".into(), ty: PortType::Text, required: false });
    def.edges.push(Edge {
        from: PortRef { node: "wrap".into(), port: "text".into() },
        to: PortRef { node: "explain".into(), port: "previous".into() },
    });
    let p = problems(&def);
    assert!(
        p.contains(&"node \"explain\": the model \"gpt-9\" is not one you can use; pick one from the list".into()),
        "{p:?}"
    );
    for node in ["explain", "wrap"] {
        assert!(p.iter().any(|m| m.starts_with(&format!("node \"{node}\": this node is on a cycle"))), "{p:?}");
    }
    assert!(!p.iter().any(|m| m.starts_with("node \"out\": this node is on a cycle")), "{p:?}");
}

#[test]
fn node_settings_are_checked() {
    let mut def = sample();
    def.nodes[1].timeout_ms = Some(0);
    def.nodes[1].retry.max = 11;
    def.nodes[2].on_error = OnError::Default { outputs: [("text".to_owned(), json!(3))].into_iter().collect() };
    def.nodes.push(def.nodes[3].clone());
    def.format = 2;
    let p = problems(&def);
    assert!(p.iter().any(|m| m.starts_with("format 2 is not one this server reads")), "{p:?}");
    assert!(p.contains(&"node \"explain\": timeout_ms: use 1 to 3600000 milliseconds".into()), "{p:?}");
    assert!(p.contains(&"node \"explain\": retry.max: at most 10 retries".into()), "{p:?}");
    assert!(p.contains(&"node \"wrap\", port \"text\": the error default is not a text value".into()), "{p:?}");
    assert!(p.contains(&"node \"out\": two nodes have this id; give each its own".into()), "{p:?}");
    assert!(
        p.contains(&"node \"out\", port \"doc\": another Output node has a result of this name; rename one".into()),
        "{p:?}"
    );
}

#[test]
fn branch_policy_adds_an_error_output_and_condition_passes_its_first_input_type() {
    let mut def = sample();
    def.nodes[1].on_error = OnError::Branch;
    let names: Vec<String> = def.nodes[1].outputs().into_iter().map(|p| p.name).collect();
    assert_eq!(names, ["text", "error"]);
    let cond: Node = serde_json::from_value(json!({
        "id": "c", "type": "condition", "expression": "n > 2", "inputs": [{"name": "n", "type": "number"}]
    }))
    .unwrap();
    let outs: Vec<(String, PortType)> = cond.outputs().into_iter().map(|p| (p.name, p.ty)).collect();
    assert_eq!(outs, [("then".to_owned(), PortType::Number), ("else".to_owned(), PortType::Number)]);
    assert!(valid_port_name("_x1") && !valid_port_name("1x") && !valid_port_name("a-b"));
    assert!(valid_node_id("review-2") && !valid_node_id("a.b") && !valid_node_id(""));
}

#[test]
fn a_pipeline_needs_an_output_and_at_most_one_input() {
    let mut def = sample();
    def.nodes.retain(|n| n.id != "out");
    def.edges.pop();
    def.nodes.push(def.nodes[0].clone());
    def.nodes.last_mut().unwrap().id = "in2".into();
    let p = problems(&def);
    assert!(p.contains(&"add an Output node: a run's results are what reaches it".into()), "{p:?}");
    assert!(p.contains(&"a pipeline has at most one Input node; put every field in one".into()), "{p:?}");
}

#[test]
fn a_loop_body_is_checked_as_a_graph_with_its_path_in_each_problem() {
    let def: Definition = serde_json::from_value(json!({
        "format": 1, "name": "Loop",
        "nodes": [
            {"id": "in", "type": "input", "fields": [{"name": "code", "type": "text"}]},
            {"id": "revise", "type": "loop", "max_iterations": 0, "until": "ok",
             "inputs": [{"name": "code", "type": "text"}],
             "outputs": [{"name": "code", "type": "text"}, {"name": "notes", "type": "number"}],
             "body": {
                "nodes": [
                    {"id": "start", "type": "input",
                     "fields": [{"name": "code", "type": "text"}, {"name": "spec", "type": "text"}]},
                    {"id": "fix", "type": "llm", "model": "m", "prompt": "{{ code }}",
                     "inputs": [{"name": "code", "type": "text"}]},
                    {"id": "end", "type": "output",
                     "results": [{"name": "code", "type": "text"}, {"name": "notes", "type": "text"}]}
                ],
                "edges": [
                    {"from": {"node": "start", "port": "code"}, "to": {"node": "fix", "port": "code"}},
                    {"from": {"node": "fix", "port": "text"}, "to": {"node": "end", "port": "code"}},
                    {"from": {"node": "fix", "port": "text"}, "to": {"node": "fix", "port": "code"}}
                ]
             }},
            {"id": "out", "type": "output", "results": [{"name": "code", "type": "text"}]}
        ],
        "edges": [
            {"from": {"node": "in", "port": "code"}, "to": {"node": "revise", "port": "code"}},
            {"from": {"node": "revise", "port": "code"}, "to": {"node": "out", "port": "code"}}
        ]
    }))
    .unwrap();
    let p = problems(&def);
    for expected in [
        "node \"revise\": max_iterations: use 1 to 100 rounds",
        "node \"revise/start\", port \"spec\": the body is given code; add an input of this name to the group",
        "node \"revise/end\", port \"notes\": this input is required; connect an output to it",
        concat!(
            "node \"revise/fix\": this node is on a cycle; ",
            "a pipeline runs from its inputs to its outputs without going back"
        ),
        "node \"revise\", port \"notes\": gives number but the body's result is text",
    ] {
        assert!(p.contains(&expected.to_owned()), "{expected}\n{p:#?}");
    }
    assert_eq!(p.len(), 5, "{p:#?}");
}

#[test]
fn a_pipeline_published_as_a_model_needs_a_good_name_a_text_field_and_a_text_result() {
    let mut def = sample();
    def.publish_as = Some("explain-code.v2".into());
    assert_eq!(problems(&def), Vec::<String>::new());
    assert_eq!(def.message_field().map(|f| f.name.as_str()), Some("code"));
    assert_eq!(def.reply_result(), Some(("out", "doc")));
    let json = serde_json::to_value(&def).unwrap();
    assert_eq!(json["publish_as"], "explain-code.v2");
    assert_eq!(serde_json::from_value::<Definition>(json).unwrap(), def);

    def.publish_as = Some("Explain Code".into());
    assert!(problems(&def)[0].contains("use 1 to 64 lowercase letters"), "{:?}", problems(&def));

    // A second required field cannot be filled from a chat; numbers are neither message nor reply.
    let mut def: Definition = serde_json::from_value(json!({
        "format": 1, "name": "Numbers", "publish_as": "numbers",
        "nodes": [
            {"id": "in", "type": "input", "fields": [
                {"name": "n", "type": "number"}, {"name": "text", "type": "text"}]},
            {"id": "out", "type": "output", "results": [{"name": "n", "type": "number"}]}
        ],
        "edges": [{"from": {"node": "in", "port": "n"}, "to": {"node": "out", "port": "n"}}]
    }))
    .unwrap();
    let found = problems(&def);
    assert!(found.iter().any(|p| p.contains("input field \"n\" must be optional")), "{found:?}");
    assert!(found.iter().any(|p| p.contains("needs an Output node with a text result")), "{found:?}");
    def.publish_as = None;
    assert_eq!(problems(&def), Vec::<String>::new());
}

#[test]
fn an_http_node_needs_an_allowed_host_and_a_body_only_with_post() {
    let with = |node: Value| {
        let mut def = sample();
        let mut node = node;
        node["id"] = json!("call");
        node["inputs"] = json!([{"name": "text", "type": "text"}]);
        def.nodes.push(serde_json::from_value(node).unwrap());
        def.edges.push(
            serde_json::from_value(json!({"from": {"node": "wrap", "port": "text"},
            "to": {"node": "call", "port": "text"}}))
            .unwrap(),
        );
        problems(&def)
    };
    let fine = json!({"type": "http", "method": "POST", "url": "https://api.example.com/v1", "body": "{{ text }}"});
    assert_eq!(with(fine.clone()), Vec::<String>::new());
    // The host comes from an input: checked when the node runs.
    assert_eq!(with(json!({"type": "http", "url": "{{ text }}"})), Vec::<String>::new());
    let p = with(json!({"type": "http", "url": "https://evil.example.net/", "body": "x"}));
    assert_eq!(
        p,
        [
            "node \"call\": a GET request sends no body; pick POST, or clear the body",
            "node \"call\": the host \"evil.example.net\" is not one an admin allowed for HTTP requests; ask an \
             admin to add it (Admin, Pipelines)"
        ]
    );
    assert_eq!(
        with(json!({"type": "http", "url": "ftp://api.example.com/x"})),
        ["node \"call\": the URL's scheme \"ftp\" is not http or https"]
    );
    assert_eq!(
        with(json!({"type": "http", "url": "file:///etc/passwd"})),
        ["node \"call\": the URL must start with http:// or https:// and a host"]
    );
    assert_eq!(
        with(json!({"type": "http", "url": "api.example.com"})),
        ["node \"call\": the URL must start with http:// or https:// and a host"]
    );
    // Its outputs are typed: status is a number, json is JSON.
    let node: Node = serde_json::from_value(json!({"id": "c", "type": "http", "url": "https://a.test/"})).unwrap();
    let out: Vec<(String, PortType)> = node.outputs().into_iter().map(|p| (p.name, p.ty)).collect();
    assert_eq!(
        out,
        [("status".into(), PortType::Number), ("body".into(), PortType::Text), ("json".into(), PortType::Json)]
    );
    assert_eq!(serde_json::to_value(&node).unwrap()["method"], "GET");
}

#[test]
fn a_pipeline_node_is_checked_against_the_fields_and_results_of_the_pipeline_it_runs() {
    let with = |node: Value| {
        let mut def = sample();
        let mut node = node;
        node["id"] = json!("sum");
        node["type"] = json!("pipeline");
        def.nodes.push(serde_json::from_value(node).unwrap());
        // Whatever it takes comes from the explanation; what it gives goes nowhere (allowed).
        for port in def.nodes.last().unwrap().inputs() {
            def.edges.push(Edge {
                from: PortRef { node: "explain".into(), port: "text".into() },
                to: PortRef { node: "sum".into(), port: port.name },
            });
        }
        problems(&def)
    };
    let text = |name: &str| json!({"name": name, "type": "text"});
    // `words` has a default: it may be left out.
    let fine = json!({"pipeline": "summarise", "inputs": [text("text")], "outputs": [text("summary")]});
    assert_eq!(with(fine), Vec::<String>::new());
    assert_eq!(with(json!({"pipeline": "", "inputs": [], "outputs": []})), ["node \"sum\": pick the pipeline to run"]);
    assert_eq!(
        with(json!({"pipeline": "secret", "inputs": [], "outputs": []})),
        ["node \"sum\": the pipeline \"secret\" is not one you can run; pick one from the list"]
    );
    let p = with(json!({
        "pipeline": "summarise",
        "inputs": [text("txt")],
        "outputs": [{"name": "summary", "type": "number"}, text("title")]
    }));
    assert_eq!(
        p,
        [
            "node \"sum\", port \"txt\": the pipeline \"Summarise\" has no input of this name",
            "node \"sum\": the pipeline \"Summarise\" needs its input \"text\"; add it to the inputs",
            "node \"sum\", port \"summary\": the pipeline \"Summarise\" gives a text here, not a number",
            "node \"sum\", port \"title\": the pipeline \"Summarise\" has no result of this name",
        ]
    );
}
