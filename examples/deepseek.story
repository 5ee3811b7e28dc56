# A whole story, from pasted leak to published article.
# Run it:  storydesk --config examples/newsroom.toml --data /tmp/storydesk-demo local --script examples/deepseek.story
# Lines starting with ":as" switch who is typing; "<<END" starts text that runs to a line "END".

:as alice
/story new title:"Meta scrambles over DeepSeek"

/story source add label:"internal memo" <<END
To: Generative AI leadership
Subject: Response to DeepSeek V3

Engineers in the generative AI group have been asked to take apart DeepSeek V3 and copy anything we can from it.
Management is worried about justifying the cost of the generative AI organisation when a small lab trained a competitive model for about 5.5 million dollars.
Four war rooms have been set up, two of them to work out how the training cost was brought down.
END

/story claim intro
/story write intro <<END
Meta has set up four "war rooms" of engineers to study DeepSeek V3, according to an internal memo seen by our reporters, after the Chinese lab released a model that rivals Meta's own at a fraction of the cost.
END

:as bob
/story claim body
/story write body <<END
According to the memo, engineers in Meta's generative AI group have been asked to take the DeepSeek model apart and copy what they can from it.

Two of the four war rooms are working out how DeepSeek brought the cost of training down. DeepSeek has said the final training run of V3 cost about 5.5 million dollars, a figure that leaves out earlier research and experiments.

Management is worried about justifying the cost of the generative AI organisation, the memo says, when a small lab trained a competitive model for a small share of what Meta spends.

Meta did not respond to a request for comment before publication.
END

/story write conclusion <<END
Meta's leaders are expected to discuss the findings of the war rooms with investors at the next earnings call.
END

/story ref add author:"Carey, B." date:2025-01-27 title:"Meta sets up war rooms to study DeepSeek" outlet:"The Information" url:https://www.theinformation.com/articles/meta-war-rooms

:as carol
/story approve title
/story approve intro
/story changes body note:"Attribute the cost figure to DeepSeek's own technical report."

:as bob
/story write body <<END
According to the memo, engineers in Meta's generative AI group have been asked to take the DeepSeek model apart and copy what they can from it.

Two of the four war rooms are working out how DeepSeek brought the cost of training down. In its technical report, DeepSeek says the final training run of V3 cost about 5.5 million dollars, a figure that leaves out earlier research and experiments.

Management is worried about justifying the cost of the generative AI organisation, the memo says, when a small lab trained a competitive model for a small share of what Meta spends.

Meta did not respond to a request for comment before publication.
END

:as carol
/story approve body
/story approve conclusion
/story approve references
/story check

:as erin
/story preview
/story publish
